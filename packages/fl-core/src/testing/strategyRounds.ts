import { createStrategy, type StrategyConfig } from '../strategy/catalog.ts';
import type { Strategy } from '../strategy/strategy.ts';

/** Test helper: a strategy over tiny arrays, and one round of it. */
export function tinyStrategy(config: StrategyConfig, size = 2, maxHeldUpdates = 100): Strategy {
  return createStrategy(config, { size, maxHeldUpdates });
}

export function runRound(strategy: Strategy, global: number[], updates: Array<[number[], number]>): number[] {
  const round = strategy.beginRound();
  for (const [delta, examples] of updates) round.add(Float32Array.from(delta), examples);
  return [...strategy.step(Float32Array.from(global), round.result())];
}
