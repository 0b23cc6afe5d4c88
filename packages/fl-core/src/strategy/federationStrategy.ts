import type { FederationConfig } from '../config/federation.ts';
import { createStrategy, DEFAULT_STRATEGY, strategyDefinition, type StrategyConfig } from './catalog.ts';
import { withCentralDp } from './privacy/centralDp.ts';
import { withLocalDp } from './privacy/localDp.ts';
import type { Strategy } from './strategy.ts';

/** The most memory one round's held updates may take (median, trimmed mean, Krum): 512 MiB of float32. */
export const MAX_HELD_BYTES = 512 * 1024 * 1024;

type StrategyFields = Pick<FederationConfig, 'strategy' | 'privacy' | 'mode' | 'clientsPerRound' | 'dataset'>;

export function strategyOf(config: Pick<FederationConfig, 'strategy'>): StrategyConfig {
  return config.strategy ?? DEFAULT_STRATEGY;
}

/** The federation's strategy over a model of `size` values, with its DP wrapper; `random` draws central noise. */
export function createFederationStrategy(config: StrategyFields, size: number, random: () => number): Strategy {
  const strategy = createStrategy(strategyOf(config), { size, maxHeldUpdates: Math.max(1, Math.floor(MAX_HELD_BYTES / (size * 4))) });
  const privacy = config.privacy;
  if (!privacy) return strategy;
  return privacy.mode === 'central' ? withCentralDp(strategy, size, privacy, random) : withLocalDp(strategy, privacy);
}

/** The most devices a round may select, when the config bounds it. */
function largestSelection(config: StrategyFields): number | null {
  const perRound = config.clientsPerRound;
  if (typeof perRound === 'number') return perRound;
  const population = 'numDevices' in config.dataset ? config.dataset.numDevices : undefined;
  if (population === undefined) return null;
  return perRound === 'all' ? population : Math.max(1, Math.round(perRound.fraction * population));
}

/** What the schema alone cannot check about strategy and privacy for a model of `size` values; null when fine. */
export function strategyProblem(config: StrategyFields, size: number): string | null {
  const chosen = strategyOf(config);
  const definition = strategyDefinition(chosen.name);
  const isAsync = config.mode?.kind === 'async';
  if (isAsync && !definition.async) {
    return `strategy ${chosen.name} is not supported in async (FedBuff) mode, which aggregates with FedAvg; choose fedavg or sync mode`;
  }
  if (config.privacy?.mode === 'central') {
    if (isAsync) return "central DP is not supported in async (FedBuff) mode: staleness weights change each update's sensitivity; use local DP or sync mode";
    if (!definition.centralDp) return `central DP needs a mean-based strategy; ${chosen.name} does not average the clipped updates (use local DP with it)`;
  }
  if (definition.holdsUpdates) {
    const clients = largestSelection(config);
    if (clients === null) {
      return `strategy ${chosen.name} holds every update of a round in memory: give clientsPerRound as a number (or the dataset's numDevices) so its memory is bounded`;
    }
    const bytes = clients * size * 4;
    if (bytes > MAX_HELD_BYTES) {
      return `strategy ${chosen.name} holds every update of a round: ${clients} clients per round x ${size} values x 4 bytes = ${Math.ceil(bytes / 2 ** 20)} MiB exceeds the ${MAX_HELD_BYTES / 2 ** 20} MiB bound; select fewer clients per round`;
    }
  }
  return null;
}
