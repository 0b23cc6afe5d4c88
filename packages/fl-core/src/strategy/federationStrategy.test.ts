import { describe, expect, it } from 'vitest';
import { createRng } from '../data/random.ts';
import { StrategyConfig } from './catalog.ts';
import { createFederationStrategy, strategyProblem } from './federationStrategy.ts';
import { PrivacyConfig } from './privacy/privacyConfig.ts';

const dataset = { kind: 'mnist', partition: 'iid', examplesPerDevice: 600, numDevices: 10, seed: 1 } as const;
const base = { clientsPerRound: 5 as const, dataset, mode: { kind: 'sync' as const } };
const privacy = PrivacyConfig.parse({ mode: 'central', clipNorm: 1, noiseMultiplier: 1 });

describe('strategy and privacy validation', () => {
  it('accepts FedAvg with central DP and a held-update strategy within the memory bound', () => {
    expect(strategyProblem({ ...base, privacy }, 199_210)).toBeNull();
    expect(strategyProblem({ ...base, strategy: { name: 'median', options: {} } }, 199_210)).toBeNull();
  });

  it('refuses a held-update strategy whose clients x model size exceeds the bound, saying so', () => {
    const problem = strategyProblem({ ...base, clientsPerRound: 100, strategy: { name: 'krum', options: { f: 1, select: 1 } } }, 1_663_370);
    expect(problem).toMatch(/100 clients per round x 1663370 values x 4 bytes = 635 MiB exceeds the 512 MiB bound/);
    expect(
      strategyProblem({ ...base, clientsPerRound: 'all', dataset: { ...dataset, numDevices: undefined }, strategy: { name: 'median', options: {} } }, 10),
    ).toMatch(/memory is bounded/);
  });

  it('refuses what async mode and central DP cannot do', () => {
    const async = { ...base, mode: { kind: 'async' as const, bufferSize: 2, maxStaleness: 2 } };
    expect(strategyProblem({ ...async, strategy: StrategyConfig.parse({ name: 'fedadam' }) }, 10)).toMatch(/not supported in async/);
    expect(strategyProblem({ ...async, privacy }, 10)).toMatch(/central DP is not supported in async/);
    expect(strategyProblem({ ...base, privacy, strategy: { name: 'median', options: {} } }, 10)).toMatch(/central DP needs a mean-based strategy/);
  });

  it('wraps the strategy: central DP tells devices to clip, local DP also gives them the noise', () => {
    expect(createFederationStrategy({ ...base, privacy }, 2, createRng(1)).instructions()).toEqual({ clipNorm: 1 });
    const local = createFederationStrategy(
      { ...base, strategy: StrategyConfig.parse({ name: 'fedprox', options: { mu: 0.5 } }), privacy: { ...privacy, mode: 'local', noiseMultiplier: 0.3 } },
      2,
      createRng(1),
    );
    expect(local.instructions()).toEqual({ proximalMu: 0.5, clipNorm: 1, noiseStd: 0.3 });
  });

  it("keeps a server optimizer's state reachable through either DP wrapper", () => {
    const fedadam = StrategyConfig.parse({ name: 'fedadam' });
    expect(createFederationStrategy({ ...base, strategy: fedadam, privacy }, 2, createRng(1)).serverState?.save()).toHaveLength(4);
    expect(createFederationStrategy({ ...base, strategy: fedadam, privacy: { ...privacy, mode: 'local' } }, 2, createRng(1)).serverState?.save()).toHaveLength(
      4,
    );
  });
});
