import { describe, expect, it } from 'vitest';
import { createRng, gaussian } from '../data/random.ts';
import { CodecError } from './codecError.ts';
import { decodeInt8, encodeInt8, int8DataBytes } from './int8Codec.ts';

const CHUNK = 256;

function deltas(n: number, seed: number): Float32Array {
  const rng = createRng(seed);
  // Chunks of very different magnitudes, as a model's layers have.
  return Float32Array.from({ length: n }, (_, i) => gaussian(rng) * 10 ** -(1 + (Math.floor(i / CHUNK) % 4)));
}

function chunkScale(values: Float32Array, i: number): number {
  const start = Math.floor(i / CHUNK) * CHUNK;
  let max = 0;
  for (let j = start; j < Math.min(values.length, start + CHUNK); j++) max = Math.max(max, Math.abs(values[j]!));
  return Math.fround(max / 127);
}

describe('int8 codec', () => {
  it('costs one byte per value plus four per chunk', () => {
    const values = deltas(1000, 1);
    expect(encodeInt8(values, CHUNK).byteLength).toBe(4 + 4 * 4 + 1000);
    expect(int8DataBytes(199_210, CHUNK) / 199_210).toBeLessThan(1.02);
  });

  it('rounding to nearest is off by at most half its chunk scale', () => {
    const values = deltas(5000, 2);
    const back = decodeInt8(encodeInt8(values, CHUNK), values.length);
    for (let i = 0; i < values.length; i++) {
      expect(Math.abs(back[i]! - values[i]!)).toBeLessThanOrEqual(chunkScale(values, i) * 0.5 * (1 + 1e-6));
    }
  });

  it('stochastic rounding is off by less than one scale step and unbiased over many draws', () => {
    const values = deltas(512, 3);
    const rng = createRng(42);
    const draws = 2000;
    const scales = Float32Array.from(values, (_, i) => chunkScale(values, i));
    const mean = new Float64Array(values.length);
    let worst = 0; // largest error in scale steps
    for (let d = 0; d < draws; d++) {
      const back = decodeInt8(encodeInt8(values, CHUNK, rng), values.length);
      for (let i = 0; i < values.length; i++) {
        worst = Math.max(worst, Math.abs(back[i]! - values[i]!) / scales[i]!);
        mean[i]! += back[i]! / draws;
      }
    }
    expect(worst).toBeLessThan(1 + 1e-6);
    // Each draw's error has variance <= scale^2 / 4, so the mean of 2000 is within ~0.011 scale (1 sigma).
    let worstBias = 0;
    for (let i = 0; i < values.length; i++) worstBias = Math.max(worstBias, Math.abs(mean[i]! - values[i]!) / scales[i]!);
    expect(worstBias).toBeLessThan(0.06);
  });

  it('is deterministic for a given seed', () => {
    const values = deltas(3000, 4);
    expect(encodeInt8(values, CHUNK, createRng(9))).toEqual(encodeInt8(values, CHUNK, createRng(9)));
  });

  it('keeps zeros and a zero chunk exact', () => {
    const values = new Float32Array(600);
    values[300] = 0.5;
    const back = decodeInt8(encodeInt8(values, CHUNK, createRng(1)), values.length);
    expect([...back]).toEqual([...values]);
  });

  it('carries a non-finite value as a NaN chunk, so the receiver sees it', () => {
    const values = deltas(600, 5);
    values[260] = Number.POSITIVE_INFINITY;
    const back = decodeInt8(encodeInt8(values, CHUNK), values.length);
    expect(Number.isNaN(back[300]!)).toBe(true);
    expect(Number.isFinite(back[0]!)).toBe(true);
  });

  it('refuses truncated, padded and malformed data with a reason', () => {
    const data = encodeInt8(deltas(1000, 6), CHUNK);
    expect(() => decodeInt8(data.subarray(0, data.length - 1), 1000)).toThrow(/int8 data holds 1019 bytes/);
    expect(() => decodeInt8(data, 1001)).toThrow(CodecError);
    expect(() => decodeInt8(data.subarray(0, 2), 1000)).toThrow(/no chunk size/);
    const zeroChunk = data.slice();
    new DataView(zeroChunk.buffer).setUint32(0, 0, true);
    expect(() => decodeInt8(zeroChunk, 1000)).toThrow(/chunk size 0/);
    const negative = data.slice();
    new DataView(negative.buffer).setFloat32(8, -1, true);
    expect(() => decodeInt8(negative, 1000)).toThrow(/chunk 1 has a negative scale/);
  });
});
