import { describe, expect, it } from 'vitest';
import { runRound, tinyStrategy } from '../testing/strategyRounds.ts';
import { StrategyConfig } from './catalog.ts';

describe('norm-bounded', () => {
  it('clips each update to the bound before the weighted mean: [30, 40] -> [3, 4]', () => {
    const s = tinyStrategy(StrategyConfig.parse({ name: 'norm-bounded', options: { bound: 5 } }));
    expect(s.instructions()).toEqual({ clipNorm: 5 });
    expect(
      runRound(
        s,
        [0, 0],
        [
          [[30, 40], 1],
          [[1, 0], 1],
        ],
      ),
    ).toEqual([2, 2]);
  });
});
