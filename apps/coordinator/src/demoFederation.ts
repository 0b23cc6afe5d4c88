import { DEFAULT_DEADLINE, type FederationConfig } from '@flock/fl-core';
import { initialModel } from './federations/federationModel.ts';
import type { FederationRepository } from './storage/store.ts';

export const DEMO_FEDERATION: FederationConfig = {
  id: 'demo',
  name: 'MNIST demo',
  model: 'mnist-mlp',
  dataset: { kind: 'mnist', partition: 'iid', examplesPerDevice: 600, seed: 42 },
  training: { epochs: 1, batchSize: 10, learningRate: 0.1 },
  maxRounds: 20,
  minDevices: 2,
  clientsPerRound: 'all',
  deadline: DEFAULT_DEADLINE,
  quorum: 0.5,
  belowQuorum: 'extend-once',
  mode: { kind: 'sync' },
  evalExamples: 2000,
  modelSeed: 1,
};

/** A fresh coordinator has something to join at once; the operator still decides when it starts. */
export async function ensureDemoFederation(federations: FederationRepository): Promise<boolean> {
  if ((await federations.list()).length > 0) return false;
  // The demo trains a zoo model: no uploaded model to look up.
  const initial = await initialModel(DEMO_FEDERATION, { get: async () => null });
  if (!initial.ok) throw new Error(`demo federation: ${initial.reason}`);
  await federations.create(DEMO_FEDERATION, initial.value);
  return true;
}
