import { describe, expect, it } from 'vitest';
import { maskFromSeed, webCryptoMask } from './crypto.ts';

describe('mask expansion', () => {
  it("gives in Node (OpenSSL) the same keystream a tab gets from WebCrypto, so a device's masks cancel at the coordinator", async () => {
    const seed = Uint8Array.from({ length: 32 }, (_, i) => i * 7 + 1);
    const zeros = new Uint8Array(4 * 100_003);
    const node = await maskFromSeed(seed, zeros);
    expect(node).toEqual(await webCryptoMask(seed, zeros));
    expect(node.length).toBe(100_003);
    expect(new Set(node.subarray(0, 1000)).size).toBeGreaterThan(990);
  });
});
