import { describe, expect, it } from 'vitest';
import { runRound, tinyStrategy } from '../testing/strategyRounds.ts';
import { StrategyConfig } from './catalog.ts';

// Five 1-d updates 0, 1, 2, 3, 20 with f = 1: each scores its n - f - 2 = 2 nearest squared distances.
// 0: 1+4 = 5; 1: 1+1 = 2; 2: 1+1 = 2; 3: 1+4 = 5; 20: 289+324 = 613.
const updates: Array<[number[], number]> = [
  [[0], 1],
  [[1], 1],
  [[2], 1],
  [[3], 1],
  [[20], 1],
];

describe('krum', () => {
  it('keeps the lowest-scoring update (ties go to the first)', () => {
    expect(runRound(tinyStrategy(StrategyConfig.parse({ name: 'krum', options: { f: 1 } }), 1), [0], updates)).toEqual([1]);
  });

  it('Multi-Krum averages the select lowest: 1, 2, then 0 (score 5, first of the ties)', () => {
    expect(runRound(tinyStrategy(StrategyConfig.parse({ name: 'krum', options: { f: 1, select: 3 } }), 1), [0], updates)).toEqual([1]);
    expect(runRound(tinyStrategy(StrategyConfig.parse({ name: 'krum', options: { f: 1, select: 4 } }), 1), [0], updates)).toEqual([1.5]);
  });
});
