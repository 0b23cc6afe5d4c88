import { applyDelta } from '../aggregation/vectorMath.ts';
import { HeldUpdates } from './aggregations.ts';
import { perCoordinate } from './coordinateSort.ts';
import { defineStrategy } from './definition.ts';

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

export const trimmedMean = defineStrategy({
  name: 'trimmed-mean',
  label: 'Trimmed mean',
  summary: 'Coordinate-wise mean after dropping the β fraction of largest and of smallest values.',
  params: [{ key: 'beta', label: 'β', description: 'fraction trimmed from each end', default: 0.2, min: 0, max: 0.49 }],
  holdsUpdates: true,
  async: false,
  centralDp: false,
  create: ({ beta }, { size, maxHeldUpdates }) => ({
    name: 'trimmed-mean',
    instructions: () => ({}),
    beginRound: () => new HeldUpdates(size, maxHeldUpdates, (deltas) => trimmedMeanOf(deltas, beta)),
    step: applyDelta,
  }),
});
