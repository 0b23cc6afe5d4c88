import { SECAGG_MODULUS } from './params.ts';

/** How a round turns float updates into integers mod 2^32 and back. */
export interface QuantizationParams {
  /** Each coordinate is clipped to [-clip, clip]. */
  clip: number;
  /** Weights (example counts) above it count as it; the weight travels in the vector as weight / maxWeight in [0, 1]. */
  maxWeight: number;
  /** [-clip, clip] maps onto 0..levels; `levels * devices` stays below 2^32 so the sum never wraps. */
  levels: number;
}

/** The finest quantization whose sum over `deviceCount` devices cannot wrap mod 2^32. */
export function quantizationLevels(deviceCount: number): number {
  return Math.floor((SECAGG_MODULUS - 1) / Math.max(deviceCount, 1));
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

/** Undoes quantizeWeighted on the sum of `contributors` vectors; null when their weights sum to zero. */
export function dequantizeMean(sum: Uint32Array, contributors: number, params: QuantizationParams): WeightedMean | null {
  const { clip, levels } = params;
  const weightSum = sum[sum.length - 1]! / levels;
  if (weightSum <= 0) return null;
  const mean = new Float32Array(sum.length - 1);
  const step = (2 * clip) / levels;
  for (let i = 0; i < mean.length; i++) mean[i] = (sum[i]! * step - contributors * clip) / weightSum;
  return { mean, totalWeight: weightSum * params.maxWeight };
}
