import { describe, expect, it } from 'vitest';
import { runRound, tinyStrategy } from '../testing/strategyRounds.ts';
import { StrategyConfig } from './catalog.ts';

describe('fedavgm', () => {
  it('carries server momentum across rounds: v1 = d, v2 = 0.5 v1 + d, w += 2 v', () => {
    const s = tinyStrategy(StrategyConfig.parse({ name: 'fedavgm', options: { serverLearningRate: 2, momentum: 0.5 } }), 1);
    expect(runRound(s, [0], [[[1], 1]])).toEqual([2]); // v = 1
    expect(runRound(s, [2], [[[1], 1]])).toEqual([5]); // v = 0.5 + 1 = 1.5, w = 2 + 3
  });

  it('saves its velocity, and a restored strategy steps on from it', () => {
    const config = StrategyConfig.parse({ name: 'fedavgm', options: { serverLearningRate: 2, momentum: 0.5 } });
    const s = tinyStrategy(config, 1);
    runRound(s, [0], [[[1], 1]]);
    expect([...s.serverState!.save()]).toEqual([1]);
    const restored = tinyStrategy(config, 1);
    restored.serverState!.restore(Float64Array.of(1));
    expect(runRound(restored, [2], [[[1], 1]])).toEqual([5]);
  });

  it('fills in its defaults and refuses an unknown option', () => {
    expect(StrategyConfig.parse({ name: 'fedavgm' })).toEqual({ name: 'fedavgm', options: { serverLearningRate: 1, momentum: 0.9 } });
    expect(StrategyConfig.safeParse({ name: 'fedavgm', options: { momentun: 0.9 } }).success).toBe(false);
    expect(StrategyConfig.safeParse({ name: 'fedavgm', options: { momentum: 1.5 } }).success).toBe(false);
  });
});
