import { describe, expect, it } from 'vitest';
import { StrategyConfig } from '../strategy/catalog.ts';
import { PrivacyConfig } from '../strategy/privacy/privacyConfig.ts';
import { MINIMAL_CONFIG, testFederationConfig } from '../testing/configFixture.ts';
import { FederationConfig } from './federation.ts';
import { federationConfigProblem } from './federationConfigProblem.ts';
import { secureAggregationClip, secureAggregationOf } from './secureAggregation.ts';

const dataset = { kind: 'mnist', partition: 'iid', examplesPerDevice: 600, numDevices: 10, seed: 1 } as const;
const secure = testFederationConfig({ id: 'secure', clientsPerRound: 10, minDevices: 10, dataset, secureAggregation: { enabled: true } });

describe('secure aggregation in the federation config', () => {
  it('is off unless enabled, and every config stored before it still parses', () => {
    expect(secureAggregationOf(FederationConfig.parse(MINIMAL_CONFIG))).toBeNull();
    expect(secureAggregationOf({ secureAggregation: { enabled: false, threshold: 3 } })).toBeNull();
    expect(secureAggregationOf(secure)).toEqual({ enabled: true });
  });

  it('finds nothing against the mean-based strategies and local DP', () => {
    expect(federationConfigProblem(secure)).toBeNull();
    for (const name of ['fedavgm', 'fedadam', 'fedyogi', 'fedadagrad', 'fedprox'] as const)
      expect(federationConfigProblem({ ...secure, strategy: StrategyConfig.parse({ name, options: {} }) }), name).toBeNull();
    const local = PrivacyConfig.parse({ mode: 'local', clipNorm: 1, noiseMultiplier: 0.5 });
    expect(federationConfigProblem({ ...secure, privacy: local })).toBeNull();
  });

  it('refuses strategies that need every update in the clear, saying what to choose instead', () => {
    for (const strategy of [
      { name: 'median', options: {} },
      { name: 'trimmed-mean', options: {} },
      { name: 'krum', options: { f: 1, select: 1 } },
    ] as const) {
      expect(federationConfigProblem({ ...secure, strategy: StrategyConfig.parse(strategy) })).toBe(
        `strategy ${strategy.name} needs every device's update in the clear; secure aggregation shows the coordinator only their sum: choose FedAvg, FedAvgM or a FedOpt strategy, or turn secure aggregation off`,
      );
    }
  });

  it('refuses async mode, central DP and several coordinators, each with the way out', () => {
    expect(federationConfigProblem({ ...secure, mode: { kind: 'async', bufferSize: 2, maxStaleness: 2 } })).toMatch(
      /^async \(FedBuff\) mode folds each update .* secure aggregation reveals only the sum of a whole round: choose sync mode, or turn secure aggregation off$/,
    );
    const central = PrivacyConfig.parse({ mode: 'central', clipNorm: 1, noiseMultiplier: 1 });
    expect(federationConfigProblem({ ...secure, privacy: central })).toMatch(
      /^central DP clips and noises each update on the coordinator.*choose distributed DP \(each device adds its share of the noise to the sum\) or local DP/,
    );
    expect(federationConfigProblem(secure, { coordinators: 'several' })).toMatch(
      /several coordinators serve this Flock: run one coordinator, or turn secure aggregation off$/,
    );
    expect(federationConfigProblem({ ...secure, secureAggregation: { enabled: false } }, { coordinators: 'several' })).toBeNull();
  });

  it('runs distributed DP only with secure aggregation on, saying what to turn on or choose', () => {
    const distributed = PrivacyConfig.parse({ mode: 'distributed', clipNorm: 1, noiseMultiplier: 1 });
    expect(federationConfigProblem({ ...secure, privacy: distributed })).toBeNull();
    const refusal =
      "distributed DP has each device add only a share of the noise, which protects it only inside a secure sum of many devices' updates: turn secure aggregation on, or choose local or central DP";
    expect(federationConfigProblem({ ...secure, secureAggregation: undefined, privacy: distributed })).toBe(refusal);
    expect(federationConfigProblem({ ...secure, secureAggregation: { enabled: false }, privacy: distributed })).toBe(refusal);
  });

  it('refuses rounds that may begin below the threshold, saying how many devices to wait for', () => {
    const threshold = { enabled: true, neighbours: 5, threshold: 4 };
    expect(federationConfigProblem({ ...secure, minDevices: 4, secureAggregation: threshold })).toBeNull();
    expect(federationConfigProblem({ ...secure, minDevices: 3, secureAggregation: threshold })).toBe(
      'a round may begin with only 3 devices (minDevices 3, clientsPerRound 10), fewer than the secure aggregation threshold of 4: raise minDevices and clientsPerRound to at least 4, or lower secureAggregation.threshold',
    );
    expect(federationConfigProblem({ ...secure, minDevices: 10, clientsPerRound: { fraction: 0.2 }, secureAggregation: threshold })).toMatch(
      /^a round may begin with only 2 devices .*: raise minDevices to at least 18, or lower/,
    );
    expect(federationConfigProblem({ ...secure, minDevices: 1, clientsPerRound: 'all' })).toBe(
      'a round may begin with only 1 device (minDevices 1, clientsPerRound "all") and secure aggregation would show the coordinator that device\'s update: raise minDevices to at least 2',
    );
  });

  it('names a neighbours or threshold the protocol cannot use', () => {
    expect(federationConfigProblem({ ...secure, secureAggregation: { enabled: true, neighbours: 4 } })).toMatch(
      /secureAggregation\.neighbours: neighbours must be odd/,
    );
    expect(federationConfigProblem({ ...secure, secureAggregation: { enabled: true, neighbours: 5, threshold: 6 } })).toMatch(
      /secureAggregation\.threshold: threshold cannot exceed neighbours/,
    );
  });

  it("clips each coordinate at the federation's clip, else at DP's clip norm, else at 1", () => {
    const local = PrivacyConfig.parse({ mode: 'local', clipNorm: 0.5, noiseMultiplier: 0.1 });
    expect(secureAggregationClip(secure)).toBe(1);
    expect(secureAggregationClip({ ...secure, privacy: local })).toBe(0.5);
    expect(secureAggregationClip({ ...secure, privacy: local, secureAggregation: { enabled: true, clip: 2 } })).toBe(2);
  });
});
