import { describe, expect, it } from 'vitest';
import { createFederationStrategy } from '../federationStrategy.ts';
import { distributedNoiseOf } from './distributedDp.ts';
import { PrivacyConfig } from './privacyConfig.ts';

describe('distributed DP in the strategy', () => {
  const privacy = PrivacyConfig.parse({ mode: 'distributed', clipNorm: 2, noiseMultiplier: 0.7 });

  it('tells devices to clip and adds no noise of its own: the devices add it inside secure aggregation', () => {
    const strategy = createFederationStrategy({ privacy }, 4, () => 0.5);
    expect(strategy.instructions()).toEqual({ clipNorm: 2 });
    const aggregation = strategy.beginRound();
    aggregation.add(Float32Array.of(1, 2, 3, 4), 10);
    expect([...aggregation.result()]).toEqual([1, 2, 3, 4]);
  });

  it('hands secure aggregation the noise only in distributed mode', () => {
    expect(distributedNoiseOf({ privacy })).toEqual({ clipNorm: 2, noiseMultiplier: 0.7 });
    expect(distributedNoiseOf({ privacy: { ...privacy, mode: 'local' } })).toBeUndefined();
    expect(distributedNoiseOf({})).toBeUndefined();
  });
});
