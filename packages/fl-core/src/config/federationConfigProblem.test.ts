import { describe, expect, it } from 'vitest';
import { StrategyConfig } from '../strategy/catalog.ts';
import { PrivacyConfig } from '../strategy/privacy/privacyConfig.ts';
import { testFederationConfig } from '../testing/configFixture.ts';
import { federationConfigProblem } from './federationConfigProblem.ts';

const dataset = { kind: 'mnist', partition: 'iid', examplesPerDevice: 600, numDevices: 10, seed: 1 } as const;
const base = testFederationConfig({ id: 'checked', clientsPerRound: 5, dataset, mode: { kind: 'sync' } });
const privacy = PrivacyConfig.parse({ mode: 'central', clipNorm: 1, noiseMultiplier: 1 });
const csvRows = { kind: 'device', schema: { type: 'csv', features: ['a', 'b'], label: 'species', classes: ['x', 'y'] }, testFraction: 0.2 } as const;

describe('federationConfigProblem', () => {
  it('accepts a consistent config, with or without the model size', () => {
    expect(federationConfigProblem(base)).toBeNull();
    expect(federationConfigProblem(base, { parameterCount: 199_210 })).toBeNull();
  });

  it('says what the schema refuses, naming each field', () => {
    expect(federationConfigProblem({ ...base, maxRounds: 0 })).toMatch(/^federation config: maxRounds: expected a whole number from 1 to 100,000/);
    const two = federationConfigProblem({ ...base, training: { ...base.training, learningRate: -1, optimizer: 'rmsprop' } });
    expect(two).toMatch(/training\.learningRate: /);
    expect(two).toMatch(/training\.optimizer: /);
    expect(federationConfigProblem('a config')).toMatch(/^federation config: /);
    expect(federationConfigProblem({ ...base, maxRounds: 0 }, { source: 'fed.json' })).toMatch(/^fed\.json: maxRounds: /);
  });

  it('refuses a demo dataset that cannot be partitioned, and a target accuracy on device data', () => {
    expect(federationConfigProblem({ ...base, dataset: { ...dataset, numDevices: 200 } })).toMatch(
      /^dataset: numDevices x examplesPerDevice = 120000 exceeds the 60000/,
    );
    expect(federationConfigProblem({ ...base, dataset: { ...dataset, alpha: 0.5 } })).toBe('dataset: alpha applies only to the dirichlet partition');
    const rows = { ...base, model: 'tabular-mlp', dataset: csvRows, clientsPerRound: 'all' } as const;
    expect(federationConfigProblem(rows)).toBeNull();
    expect(federationConfigProblem({ ...rows, targetAccuracy: 0.9 })).toMatch(/^targetAccuracy needs the coordinator's own test data/);
  });

  it('refuses a zoo model too big for the dataset, and leaves an uploaded model to its loading', () => {
    const rows = { ...base, dataset: csvRows, clientsPerRound: 'all' } as const;
    expect(federationConfigProblem({ ...rows, model: 'mnist-cnn' })).toMatch(/^model mnist-cnn needs images of at least 4x4, the dataset gives 1x2/);
    expect(federationConfigProblem({ ...rows, model: 'uploaded-0123456789ab' })).toBeNull();
  });

  it('accepts FedAvg with central DP and a held-update strategy within the memory bound', () => {
    expect(federationConfigProblem({ ...base, privacy }, { parameterCount: 199_210 })).toBeNull();
    expect(federationConfigProblem({ ...base, strategy: { name: 'median', options: {} } }, { parameterCount: 199_210 })).toBeNull();
  });

  it('refuses a held-update strategy whose clients x model size exceeds the bound, saying so, where the size is known', () => {
    const krum = { ...base, clientsPerRound: 100, strategy: { name: 'krum', options: { f: 1, select: 1 } } } as const;
    const problem = federationConfigProblem(krum, { parameterCount: 1_663_370 });
    expect(problem).toMatch(/^strategy: strategy krum holds every update/);
    expect(problem).toMatch(/100 clients per round x 1663370 values x 4 bytes = 635 MiB exceeds the 512 MiB bound/);
    expect(federationConfigProblem(krum)).toBeNull();
    const unbounded = { ...base, clientsPerRound: 'all', dataset: { ...dataset, numDevices: undefined }, strategy: { name: 'median', options: {} } } as const;
    expect(federationConfigProblem(unbounded, { parameterCount: 10 })).toMatch(/memory is bounded/);
    expect(federationConfigProblem(unbounded)).toMatch(/^strategy: strategy median holds every update of a round in memory/);
  });

  it('refuses what async mode and central DP cannot do, without the model size', () => {
    const async = { ...base, mode: { kind: 'async', bufferSize: 2, maxStaleness: 2 } } as const;
    expect(federationConfigProblem({ ...async, strategy: StrategyConfig.parse({ name: 'fedadam' }) }, { parameterCount: 10 })).toMatch(
      /not supported in async/,
    );
    expect(federationConfigProblem({ ...async, privacy }, { parameterCount: 10 })).toMatch(/central DP is not supported in async/);
    expect(federationConfigProblem({ ...base, privacy, strategy: { name: 'median', options: {} } }, { parameterCount: 10 })).toMatch(
      /central DP needs a mean-based strategy/,
    );
    expect(federationConfigProblem({ ...async, strategy: { name: 'krum', options: { f: 1, select: 1 } } })).toMatch(
      /^strategy: strategy krum is not supported in async \(FedBuff\) mode/,
    );
    expect(federationConfigProblem({ ...async, privacy })).toMatch(/^strategy: central DP is not supported in async/);
  });

  it('refuses, with several coordinators, what cannot be aggregated in parts: held-update strategies and async mode', () => {
    const several = { coordinators: 'several' } as const;
    expect(federationConfigProblem({ ...base, privacy }, several)).toBeNull();
    expect(federationConfigProblem({ ...base, strategy: StrategyConfig.parse({ name: 'fedadam' }) }, several)).toBeNull();
    expect(federationConfigProblem({ ...base, strategy: { name: 'median', options: {} } }, several)).toMatch(
      /^strategy median needs every update of a round at once, but several coordinators serve this Flock/,
    );
    expect(federationConfigProblem({ ...base, strategy: { name: 'median', options: {} } })).toBeNull();
    expect(federationConfigProblem({ ...base, mode: { kind: 'async', bufferSize: 2, maxStaleness: 2 } }, several)).toMatch(
      /^async \(FedBuff\) mode folds each update/,
    );
  });
});
