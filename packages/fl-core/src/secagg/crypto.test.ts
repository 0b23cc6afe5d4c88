import { describe, expect, it } from 'vitest';
import { MaskAdder, nodeCipher, nobleKeystream, opensslKeystream } from './maskStream.ts';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('mask expansion (ChaCha20, the whole seed as key, zero nonce, counter from 0)', () => {
  it('matches RFC 8439 test vector A.1 #1 (all-zero key, nonce and counter) in @noble/ciphers and OpenSSL', async () => {
    const expected = '76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586';
    const zeros = new Uint8Array(64);
    expect(hex(nobleKeystream(new Uint8Array(32))(zeros, new Uint8Array(64)))).toBe(expected);
    expect(hex(opensslKeystream((await nodeCipher)!, new Uint8Array(32))(zeros, new Uint8Array(64)))).toBe(expected);
  });

  it("gives in Node (OpenSSL) the same masks a tab gets from @noble/ciphers, across chunks, so a device's masks cancel at the coordinator", async () => {
    const seed = Uint8Array.from({ length: 32 }, (_, i) => i * 7 + 1);
    const length = 40_003; // two 64 KiB chunks and a ragged end
    const start = Uint32Array.from({ length }, (_, i) => i * 2654435761);
    const node = start.slice();
    (await MaskAdder.create()).add(node, seed, 1);
    const tab = start.slice();
    MaskAdder.noble().add(tab, seed, 1);
    expect(node).toEqual(tab);
    expect(new Set(node.subarray(0, 1000)).size).toBeGreaterThan(990);
    MaskAdder.noble().add(tab, seed, -1);
    expect(tab).toEqual(start);
  });
});
