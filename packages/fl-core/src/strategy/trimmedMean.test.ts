import { describe, expect, it } from 'vitest';
import { runRound, tinyStrategy } from '../testing/strategyRounds.ts';
import { StrategyConfig } from './catalog.ts';

describe('trimmed-mean', () => {
  it('drops floor(beta n) values from each end per coordinate: beta 0.2 of 5 drops 1 each side', () => {
    const s = tinyStrategy(StrategyConfig.parse({ name: 'trimmed-mean', options: { beta: 0.2 } }), 1);
    expect(
      runRound(
        s,
        [0],
        [
          [[-100], 1],
          [[1], 1],
          [[2], 1],
          [[3], 1],
          [[50], 1],
        ],
      ),
    ).toEqual([2]);
  });

  it('is the plain unweighted mean when nothing is trimmed', () => {
    const s = tinyStrategy(StrategyConfig.parse({ name: 'trimmed-mean', options: { beta: 0.1 } }), 1);
    expect(
      runRound(
        s,
        [0],
        [
          [[1], 1],
          [[2], 5],
          [[6], 1],
        ],
      ),
    ).toEqual([3]);
  });
});
