import { applyDelta } from '../aggregation/vectorMath.ts';
import { WeightedMean } from './aggregations.ts';
import { defineStrategy } from './definition.ts';

/**
 * Norm-bounded averaging (Sun et al. 2019): every delta is scaled down to L2 norm `bound` before the
 * weighted mean, so no device moves the model further than its share; devices are told the bound.
 */
export const normBounded = defineStrategy({
  name: 'norm-bounded',
  label: 'Norm-bounded mean',
  summary: 'Weighted mean of the updates, each clipped to an L2 norm bound.',
  params: [{ key: 'bound', label: 'norm bound', description: 'largest L2 norm an update keeps', default: 5, min: 0, max: 1e6, exclusiveMin: true }],
  holdsUpdates: false,
  async: false,
  centralDp: true,
  create: ({ bound }, { size }) => ({
    name: 'norm-bounded',
    instructions: () => ({ clipNorm: bound }),
    beginRound: () => new WeightedMean(size, bound),
    step: applyDelta,
  }),
});
