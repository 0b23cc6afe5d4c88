import { coordinateMedian } from '../aggregation/robustAggregates.ts';
import { applyDelta } from '../aggregation/vectorMath.ts';
import { HeldUpdates } from './aggregations.ts';
import { defineStrategy } from './definition.ts';

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
