import { testFederationConfig } from '@flock/fl-core/testing';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { QueryBook } from '../analytics/queryBook.ts';
import type { MnistSource } from '../evaluation/mnistSource.ts';
import type { Evaluator } from '../evaluation/evaluationThread.ts';
import { PendingWork } from '../pendingWork.ts';
import { MemoryStore } from '../storage/memory/memoryStore.ts';
import { FederationDirectory } from './federationDirectory.ts';
import type { FederationRuntime, RuntimeDeps } from './federationRuntime.ts';

// Counts every model built and every weights payload decoded, by anyone, while the real ones do the work.
const counted = vi.hoisted(() => ({ builds: 0, decodes: 0 }));
vi.mock('@flock/fl-core', async (importOriginal) => {
  const core = await importOriginal<typeof import('@flock/fl-core')>();
  return {
    ...core,
    buildModel: (...args: Parameters<typeof core.buildModel>) => (counted.builds++, core.buildModel(...args)),
    decodeWeights: (...args: Parameters<typeof core.decodeWeights>) => (counted.decodes++, core.decodeWeights(...args)),
  };
});

const config = testFederationConfig({
  id: 'one-pass',
  name: 'one pass',
  model: 'mnist-mlp',
  dataset: { kind: 'mnist', partition: 'iid', examplesPerDevice: 50, seed: 1 },
  evalExamples: 10,
});

describe('creating or editing a federation', () => {
  let store: MemoryStore;
  let directory: FederationDirectory;
  let federations: Map<string, FederationRuntime>;

  beforeEach(async () => {
    store = new MemoryStore();
    federations = new Map();
    const deps: RuntimeDeps = {
      store,
      evaluator: {} as Evaluator,
      mnist: {} as MnistSource,
      logger: pino({ level: 'silent' }),
      outputs: {
        sendRoundStart: () => {},
        broadcastStatus: () => {},
        broadcastRoundAbandoned: () => {},
        broadcastFinalModel: () => {},
        sendSecAggRequest: () => {},
        sendQueryAsk: () => {},
        changed: () => {},
        event: () => {},
      },
      work: new PendingWork((err) => {
        throw err;
      }),
      queries: new QueryBook(),
    };
    directory = await FederationDirectory.open(federations, store.federations, () => deps);
    counted.builds = 0;
    counted.decodes = 0;
  });
  afterEach(() => store.close());

  it('builds the model once, writes it once and never reads it back or decodes it', async () => {
    const latest = vi.spyOn(store.models, 'latest');
    const create = vi.spyOn(store.federations, 'create');
    const created = await directory.create(config);
    expect(created.ok).toBe(true);
    expect(counted).toEqual({ builds: 1, decodes: 0 });
    expect(create).toHaveBeenCalledTimes(1);
    expect(latest).not.toHaveBeenCalled();
    // The runtime starts from exactly the weights that were stored.
    const stored = await store.models.latest(config.id);
    const { decodeWeights } = await vi.importActual<typeof import('@flock/fl-core')>('@flock/fl-core');
    expect(federations.get(config.id)!.globalWeights).toEqual(decodeWeights(stored!.bytes).values);
  });

  it('builds an edited federation once and never reads its model back or decodes it', async () => {
    await directory.create(config);
    counted.builds = 0;
    counted.decodes = 0;
    const latest = vi.spyOn(store.models, 'latest');
    const edited = await directory.edit(config.id, { training: { ...config.training, learningRate: 0.05 } });
    expect(edited.ok).toBe(true);
    expect(counted).toEqual({ builds: 1, decodes: 0 });
    expect(latest).not.toHaveBeenCalled();
    expect(federations.get(config.id)!.config.training.learningRate).toBe(0.05);
  });
});
