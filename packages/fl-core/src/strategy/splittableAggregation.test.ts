import { describe, expect, it } from 'vitest';
import { createRng } from '../data/random.ts';
import { StrategyConfig } from './catalog.ts';
import { createFederationStrategy } from './federationStrategy.ts';
import { PrivacyConfig } from './privacy/privacyConfig.ts';
import { isSplittable, type RoundAggregation } from './strategy.ts';

const dataset = { kind: 'mnist', partition: 'iid', examplesPerDevice: 600, numDevices: 10, seed: 1 } as const;
const base = { clientsPerRound: 5 as const, dataset, mode: { kind: 'sync' as const } };
const SIZE = 6;

function updates(count: number) {
  const rng = createRng(7);
  return Array.from({ length: count }, (_, i) => ({ delta: Float32Array.from({ length: SIZE }, () => rng() * 4 - 2), examples: 10 + i * 13 }));
}

/** The same updates folded by one aggregation, and by three (one per coordinator) whose parts are merged into a fourth. */
function foldedBothWays(make: () => RoundAggregation) {
  const whole = make();
  const parts = [make(), make(), make()];
  updates(11).forEach((u, i) => {
    whole.add(u.delta, u.examples);
    parts[i % 3]!.add(u.delta, u.examples);
  });
  const merged = make();
  if (!isSplittable(merged)) throw new Error('not splittable');
  for (const part of parts) merged.merge((part as typeof merged).partial());
  return { whole: whole.result(), merged: merged.result(), updates: merged.updates };
}

describe('an aggregation folded in parts on several coordinators', () => {
  it('merges to what one aggregation of every update gives: FedAvg, norm-bounded FedAvg and central DP (same noise draws)', () => {
    const privacy = PrivacyConfig.parse({ mode: 'central', clipNorm: 1, noiseMultiplier: 1 });
    const configs: Parameters<typeof createFederationStrategy>[0][] = [
      { ...base, strategy: StrategyConfig.parse({ name: 'fedavg' }) },
      { ...base, strategy: StrategyConfig.parse({ name: 'norm-bounded', options: { bound: 0.5 } }) },
      { ...base, strategy: StrategyConfig.parse({ name: 'fedadam' }) },
      { ...base, privacy },
    ];
    for (const config of configs) {
      // Every aggregation draws its noise (in result(), once) from its own generator with the same seed.
      const { whole, merged, updates: count } = foldedBothWays(() => createFederationStrategy(config, SIZE, createRng(3)).beginRound());
      expect(count).toBe(11);
      for (let i = 0; i < SIZE; i++) expect(merged[i]).toBeCloseTo(whole[i]!, 6);
    }
  });

  it('is refused for the aggregators that need every update at once', () => {
    for (const name of ['median', 'trimmed-mean', 'krum'] as const) {
      const strategy = createFederationStrategy({ ...base, strategy: StrategyConfig.parse({ name }) }, SIZE, createRng(1));
      expect(isSplittable(strategy.beginRound())).toBe(false);
    }
  });
});
