import { describe, expect, it } from 'vitest';
import { createRng, gaussian } from '../data/random.ts';
import { tinyStrategy } from '../testing/strategyRounds.ts';
import { StrategyConfig } from './catalog.ts';
import { l2Norm } from '../aggregation/vectorMath.ts';

// A short, training-free version of the Byzantine bench: 8 honest devices send the true update
// plus noise, 2 send it sign-flipped or scaled tenfold. How far is each strategy's aggregate from
// the true update, relative to its length?
const SIZE = 1000;
const rng = createRng(11);
const truth = Float32Array.from({ length: SIZE }, () => gaussian(rng) * 0.1);
const honest = Array.from({ length: 8 }, () => truth.map((v) => v + gaussian(rng) * 0.05));

function error(config: StrategyConfig, mode: 'signflip' | 'scale10' | 'none'): number {
  const strategy = tinyStrategy(config, SIZE);
  const round = strategy.beginRound();
  for (const d of honest) round.add(d, 100);
  const factor = mode === 'signflip' ? -1 : 10;
  if (mode !== 'none')
    for (let k = 0; k < 2; k++)
      round.add(
        honest[k]!.map((v) => v * factor),
        100,
      );
  const out = round.result();
  return l2Norm(out.map((v, i) => v - truth[i]!)) / l2Norm(truth);
}

describe('robust strategies against 20% Byzantine devices', () => {
  const robust = [
    StrategyConfig.parse({ name: 'median' }),
    StrategyConfig.parse({ name: 'trimmed-mean', options: { beta: 0.2 } }),
    StrategyConfig.parse({ name: 'krum', options: { f: 2, select: 6 } }),
  ];

  it.each(['signflip', 'scale10'] as const)('%s: FedAvg is thrown off, median, trimmed mean and Multi-Krum stay close', (mode) => {
    const clean = error({ name: 'fedavg', options: {} }, 'none');
    // FedAvg's mean moves by 2/10 x (factor - 1) of the truth: 0.4 for a sign flip, 1.8 for 10x
    expect(error({ name: 'fedavg', options: {} }, mode)).toBeGreaterThan(mode === 'signflip' ? 0.35 : 1.5);
    for (const config of robust) expect(error(config, mode), config.name).toBeLessThan(clean + 0.25);
  });
});
