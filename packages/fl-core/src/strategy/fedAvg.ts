import { applyDelta } from '../aggregation/vectorMath.ts';
import { WeightedMean } from './aggregations.ts';
import { defineStrategy } from './definition.ts';

/** FedAvg (McMahan et al. 2017): the example-weighted mean of the deltas, added to the model. */
export const fedAvg = defineStrategy({
  name: 'fedavg',
  label: 'FedAvg',
  summary: 'Weighted mean of the updates (by example count).',
  params: [],
  holdsUpdates: false,
  async: true,
  centralDp: true,
  create: (_options, { size }) => ({
    name: 'fedavg',
    instructions: () => ({}),
    beginRound: () => new WeightedMean(size),
    step: applyDelta,
  }),
});
