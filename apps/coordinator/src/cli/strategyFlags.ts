import { PrivacyConfig, STRATEGIES, StrategyConfig, type FederationConfig, type StrategyName } from '@flock/fl-core';
import { InvalidArgumentError } from 'commander';
import { BYZANTINE_MODES, type ByzantineMode, type ByzantinePlan } from '../simulation/byzantine.ts';

/** The strategy and privacy flags of `flockctl simulate`. */
export interface StrategyFlags {
  strategy?: StrategyName;
  strategyOpts?: Record<string, unknown>;
  byzantine?: ByzantinePlan;
  dpClip?: number;
  dpNoise?: number;
  dpDelta?: number;
  dpMode?: PrivacyConfig['mode'];
  dpTarget?: number;
}

export const STRATEGY_NAMES = STRATEGIES.map((s) => s.name);

export function parseStrategyOpts(raw: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new InvalidArgumentError('expected a JSON object, e.g. \'{"beta":0.2}\'');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new InvalidArgumentError('expected a JSON object');
  return parsed as Record<string, unknown>;
}

export function parseByzantine(raw: string): ByzantinePlan {
  const [fractionText, mode] = raw.split(':');
  const fraction = Number(fractionText);
  if (!(fraction >= 0 && fraction < 1)) throw new InvalidArgumentError('expected FRACTION:MODE with FRACTION in [0, 1)');
  if (!BYZANTINE_MODES.includes(mode as ByzantineMode)) throw new InvalidArgumentError(`expected FRACTION:MODE with MODE one of ${BYZANTINE_MODES.join(', ')}`);
  return { fraction, mode: mode as ByzantineMode };
}

/** The federation's `strategy` and `privacy` from the flags, each validated by its schema. */
export function strategyFields(f: StrategyFlags): Pick<FederationConfig, 'strategy' | 'privacy'> {
  const strategy = StrategyConfig.safeParse({ name: f.strategy ?? 'fedavg', options: f.strategyOpts ?? {} });
  if (!strategy.success)
    throw new InvalidArgumentError(`--strategy-opts: ${strategy.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`).join('; ')}`);
  const wantsDp = f.dpClip !== undefined || f.dpNoise !== undefined || f.dpDelta !== undefined || f.dpTarget !== undefined;
  if (!wantsDp) return { strategy: strategy.data };
  if (f.dpClip === undefined || f.dpNoise === undefined) throw new InvalidArgumentError('differential privacy needs both --dp-clip and --dp-noise');
  const privacy = PrivacyConfig.parse({
    mode: f.dpMode ?? 'central',
    clipNorm: f.dpClip,
    noiseMultiplier: f.dpNoise,
    ...(f.dpDelta === undefined ? {} : { delta: f.dpDelta }),
    ...(f.dpTarget === undefined ? {} : { targetEpsilon: f.dpTarget }),
  });
  return { strategy: strategy.data, privacy };
}
