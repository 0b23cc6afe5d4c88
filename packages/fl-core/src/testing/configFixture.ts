import type { FederationConfig } from '../config/federation.ts';

/** A federation config as the oldest stored ones look (no codec, demo MNIST dataset): protocol tests parse it. */
export const MINIMAL_CONFIG = {
  id: 'demo',
  name: 'Demo',
  model: 'mnist-mlp',
  dataset: { kind: 'mnist', partition: 'iid', examplesPerDevice: 600, seed: 1 },
  training: { epochs: 1, batchSize: 10, learningRate: 0.1 },
  maxRounds: 10,
  minDevices: 1,
  clientsPerRound: 'all',
  quorum: 0.5,
  evalExamples: 1000,
  modelSeed: 1,
} as const;

/**
 * A complete federation config for tests: MINIMAL_CONFIG's MNIST federation made small (20 examples
 * per device, one round, 100 test examples), synchronous, with a fixed minute's deadline and every
 * selected device needed. `overrides` replace whole top-level fields, so a test names only what it is about.
 */
export function testFederationConfig(overrides: Partial<FederationConfig> & Pick<FederationConfig, 'id'>): FederationConfig {
  return {
    ...MINIMAL_CONFIG,
    name: overrides.id,
    dataset: { ...MINIMAL_CONFIG.dataset, examplesPerDevice: 20 },
    maxRounds: 1,
    deadline: { mode: 'fixed', ms: 60_000 },
    quorum: 1,
    belowQuorum: 'abandon',
    mode: { kind: 'sync' },
    evalExamples: 100,
    ...overrides,
  };
}
