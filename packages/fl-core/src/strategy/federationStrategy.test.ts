import { describe, expect, it } from 'vitest';
import { createRng } from '../data/random.ts';
import { StrategyConfig } from './catalog.ts';
import { createFederationStrategy } from './federationStrategy.ts';
import { PrivacyConfig } from './privacy/privacyConfig.ts';

const dataset = { kind: 'mnist', partition: 'iid', examplesPerDevice: 600, numDevices: 10, seed: 1 } as const;
const base = { clientsPerRound: 5 as const, dataset, mode: { kind: 'sync' as const } };
const privacy = PrivacyConfig.parse({ mode: 'central', clipNorm: 1, noiseMultiplier: 1 });

describe('the federation strategy', () => {
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
