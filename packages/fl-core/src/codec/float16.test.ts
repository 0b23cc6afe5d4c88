import { describe, expect, it } from 'vitest';
import { createRng, gaussian } from '../data/random.ts';
import { floatsToHalves, fromHalf, HALF_MAX, halvesToFloats, toHalf } from './float16.ts';

describe('float16 conversion', () => {
  it('gives the IEEE half bits of known values', () => {
    expect(toHalf(0)).toBe(0x0000);
    expect(toHalf(-0)).toBe(0x8000);
    expect(toHalf(1)).toBe(0x3c00);
    expect(toHalf(-2)).toBe(0xc000);
    expect(toHalf(65504)).toBe(0x7bff);
    expect(toHalf(2 ** -14)).toBe(0x0400); // smallest normal
    expect(toHalf(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(toHalf(Number.POSITIVE_INFINITY)).toBe(0x7c00);
    expect(toHalf(1e6)).toBe(0x7c00);
    expect(Number.isNaN(fromHalf(toHalf(Number.NaN)))).toBe(true);
  });

  it('rounds ties to even, as IEEE does', () => {
    // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: even mantissa (1) wins.
    expect(toHalf(1 + 2 ** -11)).toBe(0x3c00);
    // 1 + 3 * 2^-11 is halfway between 1 + 2^-10 (odd) and 1 + 2^-9 (even).
    expect(toHalf(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(toHalf(65519)).toBe(0x7bff);
    expect(toHalf(65520)).toBe(0x7c00);
    expect(toHalf(2 ** -25)).toBe(0); // halfway between 0 and the smallest subnormal
    expect(toHalf(1.5 * 2 ** -24)).toBe(0x0002);
  });

  it('decodes every finite half back to the same half', () => {
    const mismatched: number[] = [];
    for (let h = 0; h < 65536; h++) {
      const v = fromHalf(h);
      if (!Number.isNaN(v) && toHalf(v) !== h) mismatched.push(h);
    }
    expect(mismatched).toEqual([]);
  });

  it('round-trips delta-sized values within a relative error of 2^-11 (normal range)', () => {
    const rng = createRng(5);
    const values = Float32Array.from({ length: 20_000 }, () => gaussian(rng) * 10 ** (-4 + 6 * rng()));
    const halves = new Uint16Array(values.length);
    floatsToHalves(values, halves);
    const back = new Float32Array(values.length);
    halvesToFloats(halves, back);
    const outOfBound: number[] = [];
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      const bound = Math.abs(v) >= 2 ** -14 ? Math.abs(v) * 2 ** -11 : 2 ** -25; // subnormals: half a step
      if (Math.abs(back[i]! - v) > bound || Math.abs(back[i]!) > HALF_MAX) outOfBound.push(i);
    }
    expect(outOfBound).toEqual([]);
  });
});
