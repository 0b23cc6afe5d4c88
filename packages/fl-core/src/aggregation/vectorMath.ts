/**
 * The vector maths of aggregation, privacy, codecs and update validation, over the flat Float32Array
 * a model or a delta travels as. One home, so that a norm, a clip, a finiteness check or a mean
 * means the same thing wherever it is taken.
 */

/** Throws RangeError unless `values` holds `size` values; `what` names them in the message. */
export function requireLength(values: ArrayLike<number>, size: number, what = 'delta'): void {
  if (values.length !== size) throw new RangeError(`${what} has ${values.length} values, expected ${size}`);
}

/** global + delta: a delta applied to the model it was taken against (FedAvg's server step). */
export function applyDelta(global: Float32Array, delta: Float32Array): Float32Array {
  if (global.length !== delta.length) throw new RangeError(`delta has ${delta.length} values, model has ${global.length}`);
  const out = new Float32Array(global.length);
  for (let i = 0; i < out.length; i++) out[i] = global[i]! + delta[i]!;
  return out;
}

/** to - from: the delta that applyDelta turns `from` back into `to`. */
export function deltaBetween(from: Float32Array, to: Float32Array): Float32Array {
  if (from.length !== to.length) throw new RangeError(`models of ${from.length} and ${to.length} values have no delta`);
  const out = new Float32Array(to.length);
  for (let i = 0; i < out.length; i++) out[i] = to[i]! - from[i]!;
  return out;
}

export function scaleVector(values: Float32Array, factor: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < out.length; i++) out[i] = values[i]! * factor;
  return out;
}

export function l2Norm(values: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]! * values[i]!;
  return Math.sqrt(sum);
}

/** The squared L2 distance (Krum's score), summed in float64. */
export function squaredDistance(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i]! - b[i]!) ** 2;
  return sum;
}

/** The delta scaled down to L2 norm `bound` when longer (a copy only then). */
export function clipToNorm(delta: Float32Array, bound: number): Float32Array {
  const norm = l2Norm(delta);
  return norm <= bound ? delta : scaleVector(delta, bound / norm);
}

/** Index of the first NaN or infinite value, or -1. */
export function firstNonFinite(values: Float32Array): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) return i;
  return -1;
}

/** sum += weight * values: the fold of every streaming mean, in float64 whatever the number of terms. */
export function addWeighted(sum: Float64Array, values: Float32Array, weight: number): void {
  // Unrolled by 4: about 1.4x the plain loop in V8 (npm run bench -- aggregate). Float64 sums cost
  // 8 more bytes of traffic a value than Float32 ones, yet measured faster (no rounding on store)
  // and exact enough for any number of devices.
  const n = sum.length;
  const unrolled = n & ~3;
  let i = 0;
  for (; i < unrolled; i += 4) {
    sum[i]! += weight * values[i]!;
    sum[i + 1]! += weight * values[i + 1]!;
    sum[i + 2]! += weight * values[i + 2]!;
    sum[i + 3]! += weight * values[i + 3]!;
  }
  for (; i < n; i++) sum[i]! += weight * values[i]!;
}

/** A float64 sum of weighted terms divided by their total weight, as float32. */
export function meanOfSum(sum: Float64Array, totalWeight: number): Float32Array {
  const out = new Float32Array(sum.length);
  const inv = 1 / totalWeight;
  for (let i = 0; i < out.length; i++) out[i] = sum[i]! * inv;
  return out;
}

/**
 * The weighted mean of equally long vectors (equal weights when `weights` is left out). Streaming
 * callers fold with addWeighted and finish with meanOfSum instead of holding every vector.
 */
export function weightedMean(vectors: readonly Float32Array[], weights?: readonly number[]): Float32Array {
  if (vectors.length === 0) throw new RangeError('the mean of no vectors is undefined');
  if (weights && weights.length !== vectors.length) throw new RangeError(`${weights.length} weights for ${vectors.length} vectors`);
  const sum = new Float64Array(vectors[0]!.length);
  let total = 0;
  vectors.forEach((v, k) => {
    requireLength(v, sum.length, `vector ${k}`);
    const weight = weights?.[k] ?? 1;
    addWeighted(sum, v, weight);
    total += weight;
  });
  return meanOfSum(sum, total);
}
