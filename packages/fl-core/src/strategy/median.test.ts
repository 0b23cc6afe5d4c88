import { describe, expect, it } from 'vitest';
import { runRound, tinyStrategy } from '../testing/strategyRounds.ts';

describe('median', () => {
  it('takes each coordinate median, unweighted: an outlier does not move it', () => {
    const s = tinyStrategy({ name: 'median', options: {} });
    expect(
      runRound(
        s,
        [0, 0],
        [
          [[1, -1], 1],
          [[2, 5], 100],
          [[100, 0], 1],
        ],
      ),
    ).toEqual([2, 0]);
  });

  it('averages the middle two of an even count', () => {
    expect(
      runRound(
        tinyStrategy({ name: 'median', options: {} }, 1),
        [0],
        [
          [[1], 1],
          [[2], 1],
          [[4], 1],
          [[9], 1],
        ],
      ),
    ).toEqual([3]);
  });

  it('refuses an update beyond its memory bound', () => {
    const round = tinyStrategy({ name: 'median', options: {} }, 1, 2).beginRound();
    round.add(Float32Array.of(1), 1);
    round.add(Float32Array.of(2), 1);
    expect(() => round.add(Float32Array.of(3), 1)).toThrow(/holds 2 updates/);
  });
});
