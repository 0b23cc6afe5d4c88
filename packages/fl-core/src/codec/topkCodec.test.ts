import { describe, expect, it } from 'vitest';
import { createRng, gaussian } from '../data/random.ts';
import { CodecError } from './codecError.ts';
import { fromHalf, toHalf } from './float16.ts';
import { decodeTopK, encodeTopK, selectTopK } from './topkCodec.ts';

function deltas(n: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => gaussian(rng) * 0.01);
}

describe('top-k selection', () => {
  it('keeps exactly the k largest magnitudes, in index order', () => {
    const values = deltas(10_000, 1);
    const k = 100;
    const picked = selectTopK(values, k);
    expect(picked.length).toBe(k);
    for (let j = 1; j < k; j++) expect(picked[j]!).toBeGreaterThan(picked[j - 1]!);
    const sorted = [...values].map(Math.abs).sort((a, b) => b - a);
    const threshold = sorted[k - 1]!;
    for (const i of picked) expect(Math.abs(values[i]!)).toBeGreaterThanOrEqual(threshold);
  });

  it('breaks ties by index and never keeps exact zeros', () => {
    expect([...selectTopK(Float32Array.from([1, -1, 1, 0.5, -1]), 3)]).toEqual([0, 1, 2]);
    expect([...selectTopK(Float32Array.from([0, 2, 0, -0, 0]), 3)]).toEqual([1]);
  });

  it('ranks NaN first, so a diverged value is sent rather than hidden', () => {
    expect([...selectTopK(Float32Array.from([5, Number.NaN, 1e30, 2]), 2)]).toEqual([1, 2]);
  });
});

describe('top-k codec', () => {
  it('round-trips the kept values as float16 and reads the rest as 0', () => {
    const values = deltas(50_000, 2);
    const picked = selectTopK(values, 500);
    const { values: back, count } = decodeTopK(encodeTopK(values, picked), values.length);
    expect(count).toBe(500);
    const keptSet = new Set(picked);
    const wrong: number[] = [];
    for (let i = 0; i < values.length; i++) {
      if (back[i] !== (keptSet.has(i) ? fromHalf(toHalf(values[i]!)) : 0)) wrong.push(i);
    }
    expect(wrong).toEqual([]);
  });

  it('costs well under 0.1 bytes per value at 1%', () => {
    const values = deltas(199_210, 3);
    const data = encodeTopK(values, selectTopK(values, 1993));
    expect(data.byteLength / values.length).toBeLessThan(0.05);
  });

  it('encodes gaps that need several varint bytes', () => {
    const values = new Float32Array(3_000_000); // a gap of ~3M takes four bytes
    values[2] = 1;
    values[values.length - 1] = -2;
    const { values: back } = decodeTopK(encodeTopK(values, selectTopK(values, 2)), values.length);
    expect(back[2]).toBe(1);
    expect(back[values.length - 1]).toBe(-2);
  });

  it('refuses truncated, padded and out-of-range data with a reason', () => {
    const values = deltas(1000, 4);
    const data = encodeTopK(values, selectTopK(values, 10));
    expect(() => decodeTopK(data.subarray(0, data.length - 1), 1000)).toThrow(/cut off/);
    const padded = new Uint8Array(data.length + 1);
    padded.set(data);
    expect(() => decodeTopK(padded, 1000)).toThrow(/bytes after its 10 indices/);
    expect(() => decodeTopK(data, 10)).toThrow(/past the model/);
    expect(() => decodeTopK(data.subarray(0, 3), 1000)).toThrow(/no count/);
    const tooMany = data.slice();
    new DataView(tooMany.buffer).setUint32(0, 5000, true);
    expect(() => decodeTopK(tooMany, 1000)).toThrow(CodecError);
  });
});
