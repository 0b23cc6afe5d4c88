import { DEFAULT_DEADLINE, type FederationConfig } from '@flock/fl-core';
import { createFederation } from './federations/federationCreation.ts';
import { FederationRuntime, type RuntimeDeps } from './federations/federationRuntime.ts';

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
  let created;
  try {
    created = await createFederation(DEMO_FEDERATION, federations, deps);
  } catch (err) {
    // Several coordinators starting at once on one empty database: another one stored it first.
    const stored = (await deps.store.federations.list()).find((f) => f.config.id === DEMO_FEDERATION.id);
    if (!stored) throw err;
    federations.set(stored.config.id, await FederationRuntime.load(stored, deps));
    return false;
  }
  if (!created.ok) throw new Error(`demo federation: ${created.reason}`);
  return true;
}
