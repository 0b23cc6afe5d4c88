import { describe, expect, it } from 'vitest';
import { runRound, tinyStrategy } from '../testing/strategyRounds.ts';
import { StrategyConfig } from './catalog.ts';

describe('fedavg', () => {
  it('adds the example-weighted mean delta: (1*[1,2] + 3*[3,-2]) / 4 = [2.5, -1]', () => {
    expect(
      runRound(
        tinyStrategy({ name: 'fedavg', options: {} }),
        [1, 1],
        [
          [[1, 2], 1],
          [[3, -2], 3],
        ],
      ),
    ).toEqual([3.5, 0]);
  });

  it('is what a config without options parses to, and tells devices nothing extra', () => {
    const config = StrategyConfig.parse({ name: 'fedavg' });
    expect(config).toEqual({ name: 'fedavg', options: {} });
    expect(tinyStrategy(config).instructions()).toEqual({});
  });
});
