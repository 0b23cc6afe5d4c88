import { describe, expect, it } from 'vitest';
import { createRng } from '../data/random.ts';
import { discreteGaussian } from './discreteNoise.ts';

function draws(sigma: number, count: number, seed: number): number[] {
  const random = createRng(seed);
  return Array.from({ length: count }, () => discreteGaussian(sigma, random));
}

function moments(xs: readonly number[]): { mean: number; variance: number } {
  const mean = xs.reduce((a, x) => a + x, 0) / xs.length;
  return { mean, variance: xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1) };
}

/** The exact variance of N_Z(0, sigma²), summed over the support (below sigma ≈ 1 it is smaller than sigma²). */
function exactVariance(sigma: number): number {
  let mass = 1;
  let second = 0;
  for (let x = 1; x < 40 * sigma + 10; x++) {
    const p = Math.exp((-x * x) / (2 * sigma * sigma));
    mass += 2 * p;
    second += 2 * x * x * p;
  }
  return second / mass;
}

describe('the discrete Gaussian sampler', () => {
  const count = 40_000;
  for (const sigma of [0.5, 3, 50, 1e6, 3e9])
    it(`draws integers of mean 0 and variance sigma² (sigma ${sigma})`, () => {
      const xs = draws(sigma, count, 11);
      expect(xs.every(Number.isInteger)).toBe(true);
      const { mean, variance } = moments(xs);
      const expected = sigma < 5 ? exactVariance(sigma) : sigma * sigma;
      // 5 standard errors: the mean's is sqrt(variance / count), the variance's about variance·sqrt(2 / count).
      expect(Math.abs(mean)).toBeLessThan(5 * Math.sqrt(expected / count));
      expect(Math.abs(variance / expected - 1)).toBeLessThan(5 * Math.sqrt(2 / count));
    });

  it('puts exp(-x²/2sigma²) of the mass on each integer (sigma 2, chi-squared over -6..6)', () => {
    const sigma = 2;
    const xs = draws(sigma, count, 5);
    const weights = Array.from({ length: 13 }, (_, i) => Math.exp(-((i - 6) ** 2) / (2 * sigma * sigma)));
    const total = Array.from({ length: 81 }, (_, i) => Math.exp(-((i - 40) ** 2) / (2 * sigma * sigma))).reduce((a, b) => a + b);
    let chi2 = 0;
    weights.forEach((w, i) => {
      const expected = (count * w) / total;
      const seen = xs.filter((x) => x === i - 6).length;
      chi2 += (seen - expected) ** 2 / expected;
    });
    // 12 degrees of freedom (13 cells, the tails beyond ±6 hold ~1e-4 of the mass): the 0.999 quantile is 32.9.
    expect(chi2).toBeLessThan(32.9);
  });

  it('is symmetric and reproducible from its seed, and sigma 0 draws 0', () => {
    expect(draws(7, 200, 3)).toEqual(draws(7, 200, 3));
    expect(draws(7, 200, 3)).not.toEqual(draws(7, 200, 4));
    const xs = draws(4, count, 9);
    expect(Math.abs(xs.filter((x) => x > 0).length - xs.filter((x) => x < 0).length)).toBeLessThan(5 * Math.sqrt(count));
    expect(draws(0, 5, 1)).toEqual([0, 0, 0, 0, 0]);
    expect(() => discreteGaussian(-1, Math.random)).toThrow(RangeError);
  });
});
