import { describe, expect, it } from 'vitest';
import { clipToNorm, l2Norm } from '../aggregation/vectorMath.ts';
import { createRng } from '../data/random.ts';
import { deriveSecAggParams, SECAGG_MODULUS } from './params.ts';
import { deviceNoiseStd, NOISE_MARGIN_STDS, quantizationLevels, quantizeWeighted, type NoiseSizing } from './quantize.ts';
import { simulateSecAggRound, type SimulatedDevice } from './simulateRound.ts';

const MAX_WEIGHT = 100;

function devices(n: number, length: number, value: (rng: () => number) => number): SimulatedDevice[] {
  const rng = createRng(n);
  return Array.from({ length: n }, (_, i) => ({
    deviceId: `device-${String(i).padStart(3, '0')}`,
    update: Float32Array.from({ length }, () => value(rng)),
    weight: 1 + i * 10,
    random: createRng(1000 + i),
  }));
}

function thresholdOf(devices: number): number {
  const params = deriveSecAggParams(devices);
  if (!params.ok) throw new Error(params.reason);
  return params.value.threshold;
}

function variance(xs: ArrayLike<number>): number {
  let sum = 0;
  let squares = 0;
  for (let i = 0; i < xs.length; i++) {
    sum += xs[i]!;
    squares += xs[i]! ** 2;
  }
  return (squares - (sum * sum) / xs.length) / (xs.length - 1);
}

describe('distributed DP noise in secure aggregation', () => {
  it('sizes each device’s std so t devices sum to the central z·Δ, and leaves the sum of n devices room for 10 of its stds', () => {
    const sizing: NoiseSizing = { noise: { clipNorm: 2, noiseMultiplier: 1.5 }, threshold: 4, vectorLength: 10_000, clip: 0.5 };
    const levels = quantizationLevels(12, sizing);
    const sigma = deviceNoiseStd(sizing, levels);
    expect(sigma * Math.sqrt(4)).toBeCloseTo(1.5 * ((2 * levels) / (2 * 0.5) + 100), 6);
    const margin = NOISE_MARGIN_STDS * Math.sqrt(12) * sigma;
    expect(12 * levels + 2 * margin).toBeLessThanOrEqual(SECAGG_MODULUS - 1);
    expect(12 * (levels + 1) + 2 * NOISE_MARGIN_STDS * Math.sqrt(12) * deviceNoiseStd(sizing, levels + 1)).toBeGreaterThan(SECAGG_MODULUS - 1);
    expect(quantizationLevels(12)).toBe(Math.floor((SECAGG_MODULUS - 1) / 12));
  });

  it('unmasks a sum that differs from the plain quantized sum by noise of variance n·sigma², the weight slot exact', async () => {
    const n = 10;
    const length = 4000;
    const noise = { clipNorm: 3, noiseMultiplier: 0.8 };
    const options = { federationId: 'fed-ddp', round: 2, clip: 1, maxWeight: MAX_WEIGHT, roundSeed: 'round-2', noise };
    const inputs = devices(n, length, (rng) => (rng() - 0.5) * 0.2);
    const { outcome } = await simulateSecAggRound(options, inputs);
    if (!outcome.ok) throw new Error(outcome.reason);

    const sizing = { noise, threshold: thresholdOf(n), vectorLength: length, clip: 1 };
    const settings = { clip: 1, maxWeight: MAX_WEIGHT, levels: quantizationLevels(n, sizing) };
    // The same rounding draws, at full weight and clipped, without the noise that follows them.
    const plain = new Uint32Array(length + 1);
    for (const d of inputs) {
      const quantized = quantizeWeighted(clipToNorm(d.update, noise.clipNorm), MAX_WEIGHT, settings, createRng(1000 + Number(d.deviceId.slice(-3))));
      quantized.forEach((q, i) => (plain[i] = plain[i]! + q));
    }
    const difference = Float64Array.from({ length }, (_, i) => (outcome.value.sum[i]! - plain[i]!) | 0);
    const expected = n * deviceNoiseStd(sizing, settings.levels) ** 2;
    expect(Math.abs(variance(difference) / expected - 1)).toBeLessThan(5 * Math.sqrt(2 / length));
    expect(outcome.value.sum[length]).toBe(n * settings.levels);
    expect(outcome.value.totalWeight).toBe(n * MAX_WEIGHT);
  });

  it('clips each update to clipNorm and reads a noised sum that wrapped below 0 as negative', async () => {
    const n = 6;
    const length = 3000;
    const clip = 0.01;
    const noise = { clipNorm: 1, noiseMultiplier: 0.5 };
    const options = { federationId: 'fed-ddp', round: 3, clip, maxWeight: MAX_WEIGHT, roundSeed: 'round-3', noise };
    // Every value at -clip: the plain sum is 0 in every coordinate, so about half the noised ones wrap.
    const low = devices(n, length, () => -clip);
    const { outcome } = await simulateSecAggRound(options, low);
    if (!outcome.ok) throw new Error(outcome.reason);
    const wrapped = outcome.value.sum.subarray(0, length).filter((w) => w > SECAGG_MODULUS / 2).length;
    expect(wrapped / length).toBeGreaterThan(0.4);
    const mean = outcome.value.mean;
    const errors = Float64Array.from(mean, (m) => m + clip);
    // Noise of the mean: sqrt(n)·sigma levels over n devices, each level 2clip/levels; about z·clipNorm·sqrt(n/t)/n.
    const std = (noise.noiseMultiplier * noise.clipNorm * Math.sqrt(n / thresholdOf(n))) / n;
    expect(Math.abs(errors.reduce((a, e) => a + e, 0) / length)).toBeLessThan((5 * std) / Math.sqrt(length));
    expect(Math.sqrt(variance(errors)) / std).toBeGreaterThan(0.95);
    expect(Math.sqrt(variance(errors)) / std).toBeLessThan(1.05);

    // An update far above clipNorm is scaled onto it first: the mean's signal is that of the clipped updates.
    const big = devices(n, length, () => 0.01).map((d) => ({ ...d, update: d.update.map((v, i) => (i === 0 ? 1000 : v)) }));
    expect(l2Norm(clipToNorm(big[0]!.update, 1))).toBeCloseTo(1, 5);
    const clipped = await simulateSecAggRound(options, big);
    if (!clipped.outcome.ok) throw new Error(clipped.outcome.reason);
    expect(Math.abs(clipped.outcome.value.mean[0]! - clip)).toBeLessThan(6 * std);
  });
});
