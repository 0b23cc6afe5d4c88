import { krumOf } from '../aggregation/robustAggregates.ts';
import { applyDelta } from '../aggregation/vectorMath.ts';
import { HeldUpdates } from './aggregations.ts';
import { defineStrategy } from './definition.ts';

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
