import { applyDelta, squaredDistance, weightedMean } from '../aggregation/vectorMath.ts';
import { HeldUpdates } from './aggregations.ts';
import { defineStrategy } from './definition.ts';

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

export const krum = defineStrategy({
  name: 'krum',
  label: 'Krum / Multi-Krum',
  summary: 'Keeps the update(s) closest to their neighbours; select > 1 is Multi-Krum (their mean).',
  params: [
    { key: 'f', label: 'f', description: 'Byzantine devices to tolerate per round', default: 1, min: 0, max: 1000, integer: true },
    { key: 'select', label: 'select (m)', description: 'updates averaged: 1 is Krum, more is Multi-Krum', default: 1, min: 1, max: 1000, integer: true },
  ],
  holdsUpdates: true,
  async: false,
  centralDp: false,
  create: ({ f, select }, { size, maxHeldUpdates }) => ({
    name: 'krum',
    instructions: () => ({}),
    beginRound: () => new HeldUpdates(size, maxHeldUpdates, (deltas) => krumOf(deltas, f, select)),
    step: applyDelta,
  }),
});
