import { squaredDistance, weightedMean } from './vectorMath.ts';

/**
 * The aggregates of the robust strategies, side by side as plain functions over a round's deltas
 * (as Flower's aggregate.py): each needs every delta at once, so HeldUpdates holds them.
 */

/** The coordinate-wise median of the deltas (Yin et al. 2018); an even count takes the middle two's mean. */
export function coordinateMedian(deltas: readonly Float32Array[]): Float32Array {
  return perCoordinate(deltas, (s) => {
    const mid = s.length >> 1;
    return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  });
}

/**
 * The coordinate-wise beta-trimmed mean (Yin et al. 2018): drop the floor(beta n) smallest and
 * largest values of each coordinate, average the rest.
 */
export function trimmedMeanOf(deltas: readonly Float32Array[], beta: number): Float32Array {
  const cut = Math.floor(beta * deltas.length);
  return perCoordinate(deltas, (s) => {
    let sum = 0;
    for (let k = cut; k < s.length - cut; k++) sum += s[k]!;
    return sum / (s.length - 2 * cut);
  });
}

/**
 * Krum and Multi-Krum (Blanchard et al. 2017): each delta scores the sum of its squared distances to
 * its n - f - 2 nearest others; Krum keeps the lowest-scoring delta, Multi-Krum averages the `select`
 * lowest. With fewer than f + 3 updates the neighbourhood shrinks to at least one other.
 */
export function krumOf(deltas: readonly Float32Array[], f: number, select: number): Float32Array {
  const n = deltas.length;
  if (n === 1) return deltas[0]!;
  const dist = Array.from({ length: n }, () => new Float64Array(n));
  for (let a = 0; a < n; a++) {
    for (let b = a + 1; b < n; b++) dist[a]![b] = dist[b]![a] = squaredDistance(deltas[a]!, deltas[b]!);
  }
  const neighbours = Math.max(1, n - f - 2);
  const scores = deltas.map((_, a) => {
    const others = [...dist[a]!].filter((_, b) => b !== a).sort((p, q) => p - q);
    return others.slice(0, neighbours).reduce((s, d) => s + d, 0);
  });
  const chosen = scores
    .map((score, index) => ({ score, index }))
    .sort((p, q) => p.score - q.score || p.index - q.index)
    .slice(0, Math.min(select, n))
    .map((c) => deltas[c.index]!);
  return weightedMean(chosen);
}

/** Calls `reduce` with the sorted values of each coordinate across the deltas: the core of the median and trimmed mean. */
function perCoordinate(deltas: readonly Float32Array[], reduce: (sorted: Float64Array) => number): Float32Array {
  const size = deltas[0]!.length;
  const out = new Float32Array(size);
  const column = new Float64Array(deltas.length);
  for (let i = 0; i < size; i++) {
    for (let k = 0; k < deltas.length; k++) column[k] = deltas[k]![i]!;
    column.sort();
    out[i] = reduce(column);
  }
  return out;
}
