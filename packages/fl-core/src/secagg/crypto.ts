import { x25519 } from '@noble/curves/ed25519.js';

/** X25519 keys, AES-256 keys and mask seeds (ChaCha20 keys: maskStream.ts) are all 32 bytes. */
export const KEY_BYTES = 32;
const IV_BYTES = 12;
const GCM_TAG_BYTES = 16;

export interface KeyPair {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

/** @noble/curves rather than WebCrypto: the secret key must be raw bytes so that it can be Shamir-shared. */
export function generateKeyPair(): KeyPair {
  const { secretKey, publicKey } = x25519.keygen();
  return { secretKey, publicKey };
}

export function publicKeyOf(secretKey: Uint8Array): Uint8Array {
  return x25519.getPublicKey(secretKey);
}

export type Agreement = (peerPublicKey: Uint8Array) => Promise<Uint8Array | null>;

let nativeX25519: Promise<boolean> | undefined;
/** WebCrypto X25519 (Node 20, Chrome 133+, Firefox 130+, Safari 17+) is about 3x faster than JavaScript; older engines fall back. */
function hasNativeX25519(): Promise<boolean> {
  nativeX25519 ??= globalThis.crypto.subtle.generateKey({ name: 'X25519' }, false, ['deriveBits']).then(
    () => true,
    () => false,
  );
  return nativeX25519;
}

function base64Url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

/**
 * X25519 with one key pair against many peers. A shared secret is null when the peer's public key is one chosen to
 * force a known secret (low order) or is not a key at all.
 */
export async function x25519Agreement(own: KeyPair): Promise<Agreement> {
  if (!(await hasNativeX25519()))
    return async (peerPublicKey) => {
      try {
        return x25519.getSharedSecret(own.secretKey, peerPublicKey);
      } catch {
        return null;
      }
    };
  const subtle = globalThis.crypto.subtle;
  const jwk = { kty: 'OKP', crv: 'X25519', d: base64Url(own.secretKey), x: base64Url(own.publicKey) };
  const privateKey = await subtle.importKey('jwk', jwk, { name: 'X25519' }, false, ['deriveBits']);
  return async (peerPublicKey) => {
    try {
      const peer = await subtle.importKey('raw', new Uint8Array(peerPublicKey), { name: 'X25519' }, false, []);
      return new Uint8Array(await subtle.deriveBits({ name: 'X25519', public: peer }, privateKey, KEY_BYTES * 8));
    } catch {
      return null;
    }
  };
}

export function randomBytes(length: number): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(length));
}

const encoder = new TextEncoder();

/** Unambiguous byte encoding of a list of labels (JSON), for HKDF info and AES-GCM associated data. */
export function labelBytes(...parts: (string | number)[]): Uint8Array<ArrayBuffer> {
  return encoder.encode(JSON.stringify(['flock-secagg', ...parts]));
}

async function hkdf(secret: Uint8Array<ArrayBuffer>, info: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  const key = await globalThis.crypto.subtle.importKey('raw', secret, 'HKDF', false, ['deriveBits']);
  const bits = await globalThis.crypto.subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info }, key, KEY_BYTES * 8);
  return new Uint8Array(bits);
}

/** HKDF-SHA256 of an X25519 secret into a 256-bit key for one purpose (the info labels keep purposes apart). */
export function deriveKey(sharedSecret: Uint8Array, info: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  return hkdf(new Uint8Array(sharedSecret), info);
}

/** AES-256-GCM; the output is the random IV followed by ciphertext and tag. */
export async function seal(key: Uint8Array<ArrayBuffer>, plaintext: Uint8Array<ArrayBuffer>, associatedData: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  const aesKey = await globalThis.crypto.subtle.importKey('raw', key, 'AES-GCM', false, ['encrypt']);
  const iv = randomBytes(IV_BYTES) as Uint8Array<ArrayBuffer>;
  const sealed = await globalThis.crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: associatedData }, aesKey, plaintext);
  const out = new Uint8Array(IV_BYTES + sealed.byteLength);
  out.set(iv);
  out.set(new Uint8Array(sealed), IV_BYTES);
  return out;
}

/** The plaintext, or null when the ciphertext, its tag or the associated data were altered. */
export async function open(key: Uint8Array<ArrayBuffer>, sealed: Uint8Array, associatedData: Uint8Array<ArrayBuffer>): Promise<Uint8Array | null> {
  if (sealed.length < IV_BYTES + GCM_TAG_BYTES) return null;
  const aesKey = await globalThis.crypto.subtle.importKey('raw', key, 'AES-GCM', false, ['decrypt']);
  try {
    const plain = await globalThis.crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: sealed.slice(0, IV_BYTES), additionalData: associatedData },
      aesKey,
      sealed.slice(IV_BYTES),
    );
    return new Uint8Array(plain);
  } catch {
    return null;
  }
}

export function sealedLength(plaintextLength: number): number {
  return IV_BYTES + plaintextLength + GCM_TAG_BYTES;
}
