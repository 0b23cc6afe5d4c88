import { trimmedMeanOf } from '../aggregation/robustAggregates.ts';
import { applyDelta } from '../aggregation/vectorMath.ts';
import { HeldUpdates } from './aggregations.ts';
import { defineStrategy } from './definition.ts';

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
