import { z } from 'zod';
import { boundedNumber, describeBounds, type Bounds } from '../protocol/boundedNumber.ts';
import { DownlinkCodecName, FederationId, MAX_DECLARED_EXAMPLES, ModelRef, TrainingConfig, UplinkCodecName, type RoundCodec } from '../protocol/device.ts';
import { SecureAggregationConfig } from '../secagg/config.ts';
import { DEFAULT_STRATEGY, StrategyConfig } from '../strategy/catalog.ts';
import { PrivacyConfig } from '../strategy/privacy/privacyConfig.ts';
import { DatasetConfig, SEED_BOUNDS } from './datasetConfig.ts';

/**
 * `adaptive`: `multiplier` x the slowest selected device's training time measured in earlier rounds,
 * clamped to [floorMs, ceilingMs]; a round with a device never measured gets the ceiling.
 * `fixed`: always `ms`.
 */
/** The most devices a federation may wait for or select in a round: twice the 5,000 connections the abuse benchmark holds. */
const MAX_DEVICES = 10_000;

const SELECTED_DEVICES: Bounds = { min: 1, max: MAX_DEVICES, integer: true };
const SELECTED_FRACTION: Bounds = { min: 0, max: 1, exclusiveMin: true };
const DEADLINE_MS = boundedNumber({ min: 1_000, max: 86_400_000, integer: true, why: 'milliseconds, from a second to a day' });
export const RoundDeadline = z.discriminatedUnion('mode', [
  z
    .object({
      mode: z.literal('adaptive'),
      multiplier: boundedNumber({ min: 1, max: 100 }),
      floorMs: DEADLINE_MS,
      ceilingMs: DEADLINE_MS,
    })
    .refine((d) => d.floorMs <= d.ceilingMs, { message: 'floorMs must not exceed ceilingMs' }),
  z.object({ mode: z.literal('fixed'), ms: DEADLINE_MS }),
]);
export type RoundDeadline = z.infer<typeof RoundDeadline>;
export const DEFAULT_DEADLINE: RoundDeadline = { mode: 'adaptive', multiplier: 3, floorMs: 30_000, ceilingMs: 600_000 };

/**
 * `async` (FedBuff, Nguyen et al. 2022): every free device trains on the latest model; the
 * coordinator aggregates every `bufferSize` updates, each weighted by examples / sqrt(1 + staleness),
 * and refuses updates more than `maxStaleness` aggregations old.
 */
export const AggregationMode = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('sync') }),
  z.object({
    kind: z.literal('async'),
    bufferSize: boundedNumber({ min: 1, max: MAX_DEVICES, integer: true }),
    maxStaleness: boundedNumber({ min: 0, max: 1_000, integer: true, why: 'aggregations' }),
  }),
]);
export type AggregationMode = z.infer<typeof AggregationMode>;

/**
 * How updates travel. `uplink`: the codec devices encode their deltas with (the coordinator refuses
 * any other); `topk` keeps the `topkFraction` largest values, the device keeping the rest for later
 * rounds (error feedback). `downlink`: how the global model goes out.
 */
export const CodecConfig = z.object({
  uplink: UplinkCodecName.default('int8'),
  topkFraction: boundedNumber({ min: 0.0001, max: 1, why: 'the share of values sent; below 0.01% an update says almost nothing' }).optional(),
  downlink: DownlinkCodecName.default('float16'),
  /** Synchronous rounds: send a device that holds the previous round's model only the int8 delta from it (off by default). */
  downlinkDelta: z.boolean().optional(),
});
export type CodecConfig = z.infer<typeof CodecConfig>;
/** New federations: int8 up (~1 B/param) and float16 down (2 B/param) lose no accuracy (README, Compact updates). */
export const DEFAULT_CODEC: CodecConfig = { uplink: 'int8', downlink: 'float16' };
/** What a federation stored before codecs existed keeps: its devices may be older clients. */
export const LEGACY_CODEC: CodecConfig = { uplink: 'float32', downlink: 'float32' };

/** The codec a federation's round:start names (DEFAULT_CODEC when its config names none). */
export function roundCodecOf(config: Pick<FederationConfig, 'codec'>): RoundCodec {
  const codec = config.codec ?? DEFAULT_CODEC;
  return codec.uplink === 'topk' && codec.topkFraction !== undefined ? { uplink: codec.uplink, topkFraction: codec.topkFraction } : { uplink: codec.uplink };
}

/** The codec a federation's global model goes out in. */
export function downlinkCodecOf(config: Pick<FederationConfig, 'codec'>): DownlinkCodecName {
  return (config.codec ?? DEFAULT_CODEC).downlink;
}

/** Whether devices holding the previous round's model get only the delta from it (synchronous rounds only). */
export function downlinkDeltaOf(config: Pick<FederationConfig, 'codec' | 'mode'>): boolean {
  return config.codec?.downlinkDelta === true && config.mode.kind === 'sync';
}

/**
 * Who may join: `open` any device; `enrollment` only a device that presents a per-federation
 * enrollment token (a join link carries it), then the device credential it was bound to.
 */
export const JoinPolicy = z.enum(['open', 'enrollment']);
export type JoinPolicy = z.infer<typeof JoinPolicy>;

/** A federation's join policy; configs that predate it are open. */
export function joinPolicyOf(config: Pick<FederationConfig, 'join'>): JoinPolicy {
  return config.join ?? 'open';
}

/**
 * Own data: what one device counts for when the federation names no maxExamplesPerDevice. Every
 * MNIST and Fashion-MNIST image (70,000) fits, so a silo holding a whole public image set joins;
 * a bigger silo needs the operator to raise it, so one device's word never outweighs a federation.
 */
export const DEFAULT_MAX_EXAMPLES_PER_DEVICE = 100_000;

/** The most examples one device may bring by its own word. */
export function maxExamplesPerDeviceOf(config: Pick<FederationConfig, 'maxExamplesPerDevice'>): number {
  return config.maxExamplesPerDevice ?? DEFAULT_MAX_EXAMPLES_PER_DEVICE;
}

/** How many devices a round selects when `online` are connected (a seeded draw picks which). */
export function roundSelectionSize(clientsPerRound: FederationConfig['clientsPerRound'], online: number): number {
  if (clientsPerRound === 'all') return online;
  if (typeof clientsPerRound === 'number') return Math.min(clientsPerRound, online);
  return Math.max(1, Math.round(clientsPerRound.fraction * online));
}

export const FederationConfig = z.object({
  id: FederationId,
  name: z.string().min(1).max(200),
  /** A zoo name, or an uploaded model's id (its weights are the federation's initial model). */
  model: ModelRef,
  /** Demo data the coordinator assigns in shards, or the devices' own data (see DatasetConfig). */
  dataset: DatasetConfig,
  training: TrainingConfig,
  maxRounds: boundedNumber({ min: 1, max: 100_000, integer: true }),
  minDevices: boundedNumber({
    min: 1,
    max: MAX_DEVICES,
    integer: true,
    why: 'a federation waiting for more devices than a coordinator serves would never start',
  }),
  /** 'all' selects every eligible connected device each round; `{fraction}` selects max(1, round(C x online)). */
  clientsPerRound: z.union([z.literal('all'), boundedNumber(SELECTED_DEVICES), z.object({ fraction: boundedNumber(SELECTED_FRACTION) })], {
    error: (issue) =>
      `expected "all", ${describeBounds(SELECTED_DEVICES)} of devices, or {"fraction": ${describeBounds(SELECTED_FRACTION)}}, got ${JSON.stringify(issue.input)}`,
  }),
  /** The federation finishes as soon as a round's evaluated accuracy reaches this. */
  targetAccuracy: boundedNumber({ min: 0, max: 1, exclusiveMin: true, why: 'a fraction: 0.9 is 90%' }).optional(),
  /** When a round stops waiting for its selected devices (see RoundDeadline). */
  deadline: RoundDeadline.default(DEFAULT_DEADLINE),
  /** Fraction of the selected devices that must answer for a round closed at its deadline to count. */
  quorum: boundedNumber({ min: 0, max: 1, why: 'a fraction of the selected devices' }),
  /** Below the quorum at the deadline: wait once more for as long again, or abandon and redo the round. */
  belowQuorum: z.enum(['extend-once', 'abandon']).default('extend-once'),
  /** Synchronous rounds (FedAvg) or buffered asynchronous aggregation (FedBuff). */
  mode: AggregationMode.default({ kind: 'sync' }),
  /**
   * Update codecs. Parsing fills in DEFAULT_CODEC when absent (the coordinator's store gives configs
   * stored before codecs LEGACY_CODEC first); the type stays optional so configs written in code need
   * not name it: read it through roundCodecOf and downlinkCodecOf.
   */
  codec: CodecConfig.default(DEFAULT_CODEC).optional(),
  /** How updates become the next model (see strategy/); absent: FedAvg. Read it through strategyOf. */
  strategy: StrategyConfig.default(DEFAULT_STRATEGY).optional(),
  /** Differential privacy (central DP-FedAvg or local noise); absent: none. */
  privacy: PrivacyConfig.optional(),
  /** SecAgg+: the coordinator learns only the sum of each round's updates (absent: off; read it through secureAggregationOf). */
  secureAggregation: SecureAggregationConfig.optional(),
  /** Open to any device, or enrollment-only (read it through joinPolicyOf; absent: open). */
  join: JoinPolicy.optional(),
  /** Test examples the coordinator evaluates the global model on after each round (when it has test data). */
  evalExamples: boundedNumber({ min: 1, max: 10_000, integer: true, why: 'the test set holds 10,000 examples' }),
  modelSeed: boundedNumber(SEED_BOUNDS),
  /**
   * The most examples one device bringing its own data may declare (its FedAvg weight); a hello
   * declaring more is refused. Read it through maxExamplesPerDeviceOf (absent: DEFAULT_MAX_EXAMPLES_PER_DEVICE).
   */
  maxExamplesPerDevice: boundedNumber({ min: 1, max: MAX_DECLARED_EXAMPLES, integer: true }).optional(),
});
export type FederationConfig = z.infer<typeof FederationConfig>;
