import { applyDelta } from '../aggregation/vectorMath.ts';
import { WeightedMean } from './aggregations.ts';
import { defineStrategy } from './definition.ts';

/**
 * FedProx (Li et al. 2020): FedAvg's aggregation; each device adds mu/2 ||w - w_global||^2 to its
 * loss, which keeps skewed devices close to the global model.
 */
export const fedProx = defineStrategy({
  name: 'fedprox',
  label: 'FedProx',
  summary: 'FedAvg with a proximal term mu/2 ||w - w_global||² in every device loss.',
  params: [{ key: 'mu', label: 'proximal mu', description: 'weight of the proximal term', default: 0.01, min: 0, max: 10 }],
  holdsUpdates: false,
  async: false,
  centralDp: true,
  create: ({ mu }, { size }) => ({
    name: 'fedprox',
    instructions: () => ({ proximalMu: mu }),
    beginRound: () => new WeightedMean(size),
    step: applyDelta,
  }),
});
