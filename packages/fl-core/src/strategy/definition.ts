import type { OptionsOf, ParamSpec } from './params.ts';
import type { Strategy } from './strategy.ts';

export interface StrategyContext {
  /** Values in the model. */
  size: number;
  /** The most updates a strategy that holds them may keep in one round (the memory bound). */
  maxHeldUpdates: number;
}

/** A strategy's name, its options (one ParamSpec each) and how to build it: one per file. */
export interface StrategyDefinition<N extends string = string, P extends readonly ParamSpec[] = readonly ParamSpec[]> {
  name: N;
  label: string;
  summary: string;
  params: P;
  /** Keeps every update of a round in memory (median, trimmed mean, Krum): clientsPerRound is bounded. */
  holdsUpdates: boolean;
  /** Runs in async (FedBuff) mode too. */
  async: boolean;
  /** Central DP's clipped, noised mean fits it (a mean-based aggregate); robust aggregators do not. */
  centralDp: boolean;
  create(options: OptionsOf<P>, context: StrategyContext): Strategy;
}

export function defineStrategy<const N extends string, const P extends readonly ParamSpec[]>(definition: StrategyDefinition<N, P>): StrategyDefinition<N, P> {
  return definition;
}
