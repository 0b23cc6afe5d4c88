import { describe, expect, it } from 'vitest';
import { ChunkAssembly } from './chunkAssembly.ts';

const bytes = (from: number, n: number) => Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff);

describe('ChunkAssembly', () => {
  it('puts chunks together in order and ignores a chunk that arrived twice', () => {
    const a = new ChunkAssembly(10);
    expect(a.accept(0, bytes(0, 4))).toEqual({ ok: true, received: 4 });
    expect(a.accept(0, bytes(0, 4))).toEqual({ ok: true, received: 4 }); // its ack was lost
    expect(a.accept(2, bytes(2, 5))).toEqual({ ok: true, received: 7 }); // overlaps: only the new bytes count
    expect(a.complete).toBe(false);
    expect(() => a.bytes()).toThrow(/7 of 10/);
    expect(a.accept(7, bytes(7, 3))).toEqual({ ok: true, received: 10 });
    expect(a.complete).toBe(true);
    expect(a.bytes()).toEqual(bytes(0, 10));
  });

  it('refuses a gap and a chunk past the announced size, with the reason', () => {
    const a = new ChunkAssembly(10);
    a.accept(0, bytes(0, 4));
    expect(a.accept(6, bytes(6, 2))).toEqual({ ok: false, reason: expect.stringContaining('4 bytes have arrived') });
    expect(a.accept(4, bytes(4, 7))).toEqual({ ok: false, reason: expect.stringContaining('runs past the announced 10 bytes') });
    expect(a.received).toBe(4);
  });
});
