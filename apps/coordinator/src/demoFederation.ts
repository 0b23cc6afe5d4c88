import { DEFAULT_DEADLINE, type FederationConfig } from '@flock/fl-core';
import { createFederation } from './federations/federationCreation.ts';
import type { FederationRuntime, RuntimeDeps } from './federations/federationRuntime.ts';

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

/**
 * A fresh coordinator has something to join at once; the operator still decides when it starts.
 * `federations` holds every stored federation (loaded first): the demo comes only when there is none.
 */
export async function ensureDemoFederation(federations: Map<string, FederationRuntime>, deps: RuntimeDeps): Promise<boolean> {
  if (federations.size > 0) return false;
  const created = await createFederation(DEMO_FEDERATION, federations, deps);
  if (!created.ok) throw new Error(`demo federation: ${created.reason}`);
  return true;
}
