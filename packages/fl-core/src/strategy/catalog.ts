import { z } from 'zod';
import type { StrategyContext, StrategyDefinition } from './definition.ts';
import { fedAdagrad } from './fedAdagrad.ts';
import { fedAdam } from './fedAdam.ts';
import { fedAvg } from './fedAvg.ts';
import { fedAvgM } from './fedAvgM.ts';
import { fedProx } from './fedProx.ts';
import { fedYogi } from './fedYogi.ts';
import { krum } from './krum.ts';
import { median } from './median.ts';
import { normBounded } from './normBounded.ts';
import { optionsSchema, type ParamSpec } from './params.ts';
import type { Strategy } from './strategy.ts';
import { trimmedMean } from './trimmedMean.ts';

/** Every strategy a federation may name; adding one is a file and a line here. */
export const STRATEGIES = [fedAvg, fedAvgM, fedProx, fedAdam, fedYogi, fedAdagrad, median, trimmedMean, krum, normBounded] as const;

export type StrategyName = (typeof STRATEGIES)[number]['name'];

function configOf<const N extends string, const P extends readonly ParamSpec[]>(d: StrategyDefinition<N, P>) {
  return z.object({ name: z.literal(d.name), options: optionsSchema(d.params) });
}

/** A federation's strategy: its name and its options (each validated by the strategy's own params). */
export const StrategyConfig = z.discriminatedUnion('name', [
  configOf(fedAvg),
  configOf(fedAvgM),
  configOf(fedProx),
  configOf(fedAdam),
  configOf(fedYogi),
  configOf(fedAdagrad),
  configOf(median),
  configOf(trimmedMean),
  configOf(krum),
  configOf(normBounded),
]);
export type StrategyConfig = z.infer<typeof StrategyConfig>;
export const DEFAULT_STRATEGY: StrategyConfig = { name: 'fedavg', options: {} };

export function strategyDefinition(name: StrategyName): StrategyDefinition {
  return STRATEGIES.find((d) => d.name === name)! as unknown as StrategyDefinition;
}

export function createStrategy(config: StrategyConfig, context: StrategyContext): Strategy {
  return strategyDefinition(config.name).create(config.options as Record<string, number>, context);
}

/** What a form needs to offer the strategies: names, what each does, and each option's field. */
export interface StrategyDescription {
  name: StrategyName;
  label: string;
  summary: string;
  params: readonly ParamSpec[];
  holdsUpdates: boolean;
  async: boolean;
  centralDp: boolean;
}

export function strategyCatalog(): StrategyDescription[] {
  return STRATEGIES.map(({ name, label, summary, params, holdsUpdates, async, centralDp }) => ({
    name,
    label,
    summary,
    params,
    holdsUpdates,
    async,
    centralDp,
  }));
}
