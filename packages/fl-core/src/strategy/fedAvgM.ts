import { WeightedMean } from './aggregations.ts';
import { defineStrategy } from './definition.ts';
import { bufferState } from './strategy.ts';

/**
 * FedAvgM (Hsu et al. 2019): server momentum over the rounds' mean deltas,
 * v = momentum * v + delta, w = w + serverLearningRate * v.
 */
export const fedAvgM = defineStrategy({
  name: 'fedavgm',
  label: 'FedAvgM',
  summary: 'FedAvg with server momentum.',
  params: [
    { key: 'serverLearningRate', label: 'server learning rate', description: 'scales the momentum step', default: 1, min: 0, max: 10, exclusiveMin: true },
    { key: 'momentum', label: 'momentum', description: 'server momentum beta', default: 0.9, min: 0, max: 0.999 },
  ],
  holdsUpdates: false,
  async: false,
  centralDp: true,
  create: ({ serverLearningRate, momentum }, { size }) => {
    const velocity = new Float64Array(size);
    return {
      name: 'fedavgm',
      instructions: () => ({}),
      beginRound: () => new WeightedMean(size),
      serverState: bufferState([velocity]),
      step: (global, delta) => {
        const out = new Float32Array(global.length);
        for (let i = 0; i < out.length; i++) {
          velocity[i] = momentum * velocity[i]! + delta[i]!;
          out[i] = global[i]! + serverLearningRate * velocity[i]!;
        }
        return out;
      },
    };
  },
});
