import { applyDelta } from '../aggregation/vectorMath.ts';
import { HeldUpdates } from './aggregations.ts';
import { perCoordinate } from './coordinateSort.ts';
import { defineStrategy } from './definition.ts';

/** The coordinate-wise median of the deltas (Yin et al. 2018); an even count takes the middle two's mean. */
export function coordinateMedian(deltas: readonly Float32Array[]): Float32Array {
  return perCoordinate(deltas, (s) => {
    const mid = s.length >> 1;
    return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  });
}

export const median = defineStrategy({
  name: 'median',
  label: 'Median',
  summary: 'Coordinate-wise median of the updates: robust to a minority of bad devices.',
  params: [],
  holdsUpdates: true,
  async: false,
  centralDp: false,
  create: (_options, { size, maxHeldUpdates }) => ({
    name: 'median',
    instructions: () => ({}),
    beginRound: () => new HeldUpdates(size, maxHeldUpdates, coordinateMedian),
    step: applyDelta,
  }),
});
