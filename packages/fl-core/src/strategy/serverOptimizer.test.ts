import { describe, expect, it } from 'vitest';
import { runRound, tinyStrategy } from '../testing/strategyRounds.ts';
import { StrategyConfig } from './catalog.ts';

const options = { eta: 0.1, beta1: 0.5, beta2: 0.75, tau: 0.5 };
const strategy = (name: 'fedadam' | 'fedyogi' | 'fedadagrad') => tinyStrategy(StrategyConfig.parse({ name, options }), 1);

// Two rounds, mean deltas 2 then 1. m1 = 0.5*2 = 1, m2 = 0.5*1 + 0.5*1 = 1.
describe('FedOpt server optimizers (Reddi et al. 2021)', () => {
  it('fedadam: v1 = 0.25*4 = 1, v2 = 0.75 + 0.25 = 1; w += 0.1 m / (sqrt(v) + 0.5)', () => {
    const s = strategy('fedadam');
    expect(runRound(s, [0], [[[2], 1]])[0]).toBeCloseTo(0.1 / 1.5, 6);
    expect(runRound(s, [0], [[[1], 1]])[0]).toBeCloseTo(0.1 / 1.5, 6);
  });

  it('fedyogi: v1 = 0 - 0.25*4*sign(-4) = 1, v2 = 1 - 0.25*1*sign(0) = 1', () => {
    const s = strategy('fedyogi');
    expect(runRound(s, [0], [[[2], 1]])[0]).toBeCloseTo(0.1 / 1.5, 6);
    expect(runRound(s, [1], [[[1], 1]])[0]).toBeCloseTo(1 + 0.1 / 1.5, 6);
  });

  it('fedadagrad: v1 = 4, v2 = 5', () => {
    const s = strategy('fedadagrad');
    expect(runRound(s, [0], [[[2], 1]])[0]).toBeCloseTo(0.1 / 2.5, 6);
    expect(runRound(s, [0], [[[1], 1]])[0]).toBeCloseTo(0.1 / (Math.sqrt(5) + 0.5), 6);
  });

  it('feeds the weighted mean of the round into the optimizer', () => {
    const s = strategy('fedadam');
    // mean of [4] x1 and [0] x1 = 2: the first round above
    expect(
      runRound(
        s,
        [0],
        [
          [[4], 1],
          [[0], 1],
        ],
      )[0],
    ).toBeCloseTo(0.1 / 1.5, 6);
  });
});

describe('server state', () => {
  it.each(['fedadam', 'fedyogi', 'fedadagrad'] as const)('%s saved after a round and restored into a fresh strategy takes the same next step', (name) => {
    const original = strategy(name);
    runRound(original, [0], [[[2], 1]]);
    const saved = original.serverState!.save();
    const restored = strategy(name);
    restored.serverState!.restore(saved);
    const fresh = strategy(name);
    const next = runRound(original, [0], [[[1], 1]])[0];
    expect(runRound(restored, [0], [[[1], 1]])[0]).toBe(next);
    expect(runRound(fresh, [0], [[[1], 1]])[0]).not.toBeCloseTo(next!, 6);
  });

  it('refuses a saved state of another size, naming both', () => {
    const s = tinyStrategy(StrategyConfig.parse({ name: 'fedadam', options }), 3);
    expect(() => s.serverState!.restore(new Float64Array(4))).toThrow('saved server state has 4 values, this strategy keeps 6');
  });

  it('stateless strategies have none', () => {
    expect(tinyStrategy(StrategyConfig.parse({ name: 'fedavg' }), 1).serverState).toBeUndefined();
  });
});
