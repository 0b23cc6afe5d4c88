import { describe, expect, it } from 'vitest';
import { runRound, tinyStrategy } from '../testing/strategyRounds.ts';
import { StrategyConfig } from './catalog.ts';

describe('fedprox', () => {
  it('tells every device its proximal mu and averages like FedAvg', () => {
    const s = tinyStrategy(StrategyConfig.parse({ name: 'fedprox', options: { mu: 0.1 } }));
    expect(s.instructions()).toEqual({ proximalMu: 0.1 });
    expect(
      runRound(
        s,
        [0, 0],
        [
          [[1, 0], 1],
          [[0, 1], 1],
        ],
      ),
    ).toEqual([0.5, 0.5]);
  });
});
