import type { FederationConfig } from '../config/federation.ts';
import { createStrategy, DEFAULT_STRATEGY, type StrategyConfig } from './catalog.ts';
import { withCentralDp } from './privacy/centralDp.ts';
import { withDistributedDp } from './privacy/distributedDp.ts';
import { withLocalDp } from './privacy/localDp.ts';
import type { Strategy } from './strategy.ts';

/** The most memory one round's held updates may take (median, trimmed mean, Krum): 512 MiB of float32. */
export const MAX_HELD_BYTES = 512 * 1024 * 1024;

type StrategyFields = Pick<FederationConfig, 'strategy' | 'privacy'>;

export function strategyOf(config: Pick<FederationConfig, 'strategy'>): StrategyConfig {
  return config.strategy ?? DEFAULT_STRATEGY;
}

/** The federation's strategy over a model of `size` values, with its DP wrapper; `random` draws central noise. */
export function createFederationStrategy(config: StrategyFields, size: number, random: () => number): Strategy {
  const strategy = createStrategy(strategyOf(config), { size, maxHeldUpdates: Math.max(1, Math.floor(MAX_HELD_BYTES / (size * 4))) });
  const privacy = config.privacy;
  if (!privacy) return strategy;
  switch (privacy.mode) {
    case 'central':
      return withCentralDp(strategy, size, privacy, random);
    case 'local':
      return withLocalDp(strategy, privacy);
    case 'distributed':
      return withDistributedDp(strategy, privacy);
    default:
      return privacy.mode satisfies never;
  }
}
