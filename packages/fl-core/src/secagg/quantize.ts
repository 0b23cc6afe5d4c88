import { clipToNorm } from '../aggregation/vectorMath.ts';
import { discreteGaussian } from './discreteNoise.ts';
import { SECAGG_MODULUS } from './params.ts';

/** Distributed DP: each device clips its update to the L2 norm `clipNorm` and adds its share of noise multiplier `noiseMultiplier`. */
export interface DistributedNoise {
  clipNorm: number;
  noiseMultiplier: number;
}

/** How a round turns float updates into integers mod 2^32 and back. */
export interface QuantizationParams {
  /** Each coordinate is clipped to [-clip, clip]. */
  clip: number;
  /** Weights (example counts) above it count as it; the weight travels in the vector as weight / maxWeight in [0, 1]. */
  maxWeight: number;
  /** [-clip, clip] maps onto 0..levels; `levels * devices` (and the noise's margin) stays below 2^32 so the sum never wraps. */
  levels: number;
  /** Present with distributed DP: the devices weigh equally and each adds discrete Gaussian noise (quantizeWithNoise). */
  noise?: DistributedNoise | undefined;
}

/** What sizes each device's noise: the round's threshold t and the update's length, besides the quantization. */
export interface NoiseSizing {
  noise: DistributedNoise;
  threshold: number;
  vectorLength: number;
  clip: number;
}

/**
 * Standard deviations of the whole sum's noise kept free on each side of the sum's range: a coordinate's noise passes
 * them with probability 2e-23, so a sum wraps mod 2^32 about once in 10^17 rounds of a million values.
 */
export const NOISE_MARGIN_STDS = 10;

/**
 * One device's discrete Gaussian std, in levels: z·Δ/sqrt(t), so the noise of any t devices sums to the central
 * mechanism's z·Δ, and no fewer than t devices' sum is ever unmasked. Δ, the L2 sensitivity of a device's quantized
 * vector, is its clipped update scaled (clipNorm·levels/2clip) plus stochastic rounding, which moves each of the d
 * values by less than one level: less than sqrt(d) in all.
 */
export function deviceNoiseStd(sizing: NoiseSizing, levels: number): number {
  const { noise, threshold, vectorLength, clip } = sizing;
  const sensitivity = (noise.clipNorm * levels) / (2 * clip) + Math.sqrt(vectorLength);
  return (noise.noiseMultiplier * sensitivity) / Math.sqrt(threshold);
}

/**
 * The finest quantization whose sum over `deviceCount` devices cannot wrap mod 2^32. With distributed DP the sum of n
 * devices' noise (std sqrt(n)·deviceNoiseStd) needs NOISE_MARGIN_STDS of it free below 0 and above n·levels; that
 * margin is a·levels + b, so levels = (2^32 - 1 - 2b) / (n + 2a).
 */
export function quantizationLevels(deviceCount: number, sizing?: NoiseSizing): number {
  const n = Math.max(deviceCount, 1);
  if (!sizing) return Math.floor((SECAGG_MODULUS - 1) / n);
  const stds = NOISE_MARGIN_STDS * Math.sqrt(n);
  const b = stds * deviceNoiseStd(sizing, 0);
  const a = stds * deviceNoiseStd(sizing, 1) - b;
  return Math.max(1, Math.floor((SECAGG_MODULUS - 1 - 2 * b) / (n + 2 * a)));
}

/**
 * The vector a device masks: `[w·clip(update)..., w]` with w = min(weight, maxWeight) / maxWeight, each entry mapped
 * onto 0..levels with stochastic rounding (unbiased; `random` is seeded in tests). Length update.length + 1.
 */
export function quantizeWeighted(update: Float32Array, weight: number, params: QuantizationParams, random: () => number): Uint32Array {
  const { clip, levels } = params;
  const w = Math.min(Math.max(weight, 0), params.maxWeight) / params.maxWeight;
  const out = new Uint32Array(update.length + 1);
  const scale = levels / (2 * clip);
  for (let i = 0; i < update.length; i++) {
    const x = Math.min(Math.max(update[i]!, -clip), clip);
    out[i] = Math.min(Math.floor((w * x + clip) * scale + random()), levels);
  }
  out[update.length] = Math.min(Math.floor(w * levels + random()), levels);
  return out;
}

export interface WeightedMean {
  /** Weighted mean of the contributors' clipped updates. */
  mean: Float32Array;
  /** Sum of their (capped) weights, in examples. */
  totalWeight: number;
}

/**
 * Distributed DP's vector: the update clipped to the L2 norm clipNorm, quantized at full weight (every device weighs
 * the same, as in central DP: an example count would raise one device's sensitivity), then N_Z(0, deviceNoiseStd²)
 * added to each update value, wrapping mod 2^32. The weight slot stays exact: at full weight it only counts the
 * contributors, which the coordinator knows anyway, and dequantizeMean divides by it.
 */
export function quantizeWithNoise(update: Float32Array, params: QuantizationParams & NoiseSizing, random: () => number): Uint32Array {
  const out = quantizeWeighted(clipToNorm(update, params.noise.clipNorm), params.maxWeight, params, random);
  const sigma = deviceNoiseStd(params, params.levels);
  for (let i = 0; i < update.length; i++) out[i] = out[i]! + discreteGaussian(sigma, random);
  return out;
}

/**
 * Undoes quantizeWeighted on the sum of `contributors` vectors; null when their weights sum to zero. A noised sum may
 * fall below 0 and wrap to the top of the ring: words in the upper half of the room above contributors·levels read as
 * negative (without noise no word gets there).
 */
export function dequantizeMean(sum: Uint32Array, contributors: number, params: QuantizationParams): WeightedMean | null {
  const { clip, levels } = params;
  const top = contributors * levels;
  const wrapsFrom = top + (SECAGG_MODULUS - top) / 2;
  const signed = (word: number) => (word >= wrapsFrom ? word - SECAGG_MODULUS : word);
  const weightSum = signed(sum[sum.length - 1]!) / levels;
  if (weightSum <= 0) return null;
  const mean = new Float32Array(sum.length - 1);
  const step = (2 * clip) / levels;
  for (let i = 0; i < mean.length; i++) mean[i] = (signed(sum[i]!) * step - contributors * clip) / weightSum;
  return { mean, totalWeight: weightSum * params.maxWeight };
}
