import { chacha20 } from '@noble/ciphers/chacha.js';

/**
 * The mask generator: a 256-bit seed expands to ChaCha20's keystream (RFC 8439) with the whole seed as the key, the
 * 96-bit nonce all zeros and the 32-bit block counter from 0, read as little-endian words. The seed keeps its full
 * 256 bits (unlike generators folded to 32 bits); one key never encrypts two messages, so the fixed nonce is safe,
 * and self and pairwise masks stay apart because their seeds do (a fresh random self seed; HKDF-derived pairwise
 * seeds with their own labels). The counter covers 2^32 blocks of 64 bytes: vectors up to 2^36 words.
 *
 * ChaCha20 rather than AES-CTR: browsers offer AES-CTR only through WebCrypto, which Chromium runs at about 65 MB/s
 * here (a 1.66M-parameter model at k = 15 needs 16 masks of 6.6 MB), while the audited @noble/ciphers ChaCha20 runs
 * at about 400 MB/s in the same tab. Node uses OpenSSL's ChaCha20 (the same keystream, tested to match).
 */
export const MASK_NONCE = new Uint8Array(12);

/** Keystream bytes made and added per step: a multiple of the 64-byte block that stays in cache while it is added. */
const CHUNK_BYTES = 64 * 1024;

/** Fills `out` with the next out.length bytes of one seed's keystream (call with CHUNK_BYTES except at the end). */
type Keystream = (zeros: Uint8Array, out: Uint8Array) => Uint8Array;

interface NodeCipherApi {
  createCipheriv(algorithm: 'chacha20', key: Uint8Array, iv: Uint8Array): { update(data: Uint8Array): Uint8Array };
}

/** @noble/ciphers: the browser's generator (and Node's where OpenSSL is missing). */
export function nobleKeystream(seed: Uint8Array): Keystream {
  let counter = 0;
  return (zeros, out) => {
    chacha20(seed, MASK_NONCE, zeros, out, counter);
    counter += zeros.length / 64;
    return out;
  };
}

/** OpenSSL's chacha20 takes a 16-byte IV: the 32-bit block counter (little-endian), then the 96-bit nonce; all zeros here. */
export function opensslKeystream(openssl: NodeCipherApi, seed: Uint8Array): Keystream {
  const cipher = openssl.createCipheriv('chacha20', seed, new Uint8Array(16));
  return (zeros, out) => {
    const stream = cipher.update(zeros);
    if (stream.byteOffset % 4 === 0) return stream;
    out.set(stream); // a pooled small buffer may sit at an offset no Uint32Array can view
    return out;
  };
}

/** node:crypto in Node; null in a browser. The name is a variable so that browser bundlers leave the import alone. */
export const nodeCipher: Promise<NodeCipherApi | null> = (() => {
  const isNode = typeof globalThis.process === 'object' && typeof globalThis.process.versions?.node === 'string';
  if (!isNode) return Promise.resolve(null);
  const name = 'node:crypto';
  return import(/* @vite-ignore */ name).then(
    (m: NodeCipherApi) => m,
    () => null,
  );
})();

/**
 * Adds (sign 1) or subtracts (sign -1) the mask `seed` stands for to `target`, mod 2^32 (Uint32Array stores wrap), one
 * cache-sized chunk at a time: no mask-sized buffer is ever made.
 */
export class MaskAdder {
  private readonly zeros = new Uint8Array(CHUNK_BYTES);
  private readonly out = new Uint8Array(CHUNK_BYTES);

  private constructor(private readonly keystream: (seed: Uint8Array) => Keystream) {}

  static async create(): Promise<MaskAdder> {
    const openssl = await nodeCipher;
    return new MaskAdder(openssl ? (seed) => opensslKeystream(openssl, seed) : nobleKeystream);
  }

  /** A generator that uses @noble/ciphers even in Node (to test that both give the same masks). */
  static noble(): MaskAdder {
    return new MaskAdder(nobleKeystream);
  }

  add(target: Uint32Array, seed: Uint8Array, sign: 1 | -1): void {
    this.addAll(target, [{ seed, sign }]);
  }

  /**
   * Adds every mask, chunk by chunk: each chunk of `target` takes all the masks' next keystream while it stays in
   * cache, so a long vector is read and written once rather than once per mask.
   */
  addAll(target: Uint32Array, masks: readonly { seed: Uint8Array; sign: 1 | -1 }[]): void {
    const streams = masks.map(({ seed, sign }) => ({ next: this.keystream(seed), sign }));
    const bytes = target.length * 4;
    for (let offset = 0; offset < bytes; offset += CHUNK_BYTES) {
      const length = Math.min(CHUNK_BYTES, bytes - offset);
      const chunk = target.subarray(offset / 4, (offset + length) / 4);
      for (const { next, sign } of streams) {
        const stream = next(this.zeros.subarray(0, length), this.out.subarray(0, length));
        addWords(chunk, new Uint32Array(stream.buffer, stream.byteOffset, length / 4), sign);
      }
    }
  }
}

/** target += sign·words mod 2^32. */
export function addWords(target: Uint32Array, words: Uint32Array, sign: 1 | -1): void {
  if (sign === 1) for (let i = 0; i < target.length; i++) target[i] = target[i]! + words[i]!;
  else for (let i = 0; i < target.length; i++) target[i] = target[i]! - words[i]!;
}
