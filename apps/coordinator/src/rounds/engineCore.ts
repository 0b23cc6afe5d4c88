import {
  createFederationStrategy,
  isSplittable,
  manifestSize,
  roundCodecOf,
  type PartialAggregate,
  secureRandom,
  type FederationConfig,
  type FederationStatus,
  type RoundCodec,
  type RoundInstructions,
  type Strategy,
  type WeightsManifest,
} from '@flock/fl-core';
import type { Contribution, DeviceUpdate, EngineEffect, UpdateResult } from './engineEffects.ts';
import { privacyExhausted } from './privacyBudget.ts';
import { checkUpdate } from './updatePayload.ts';

export interface EngineInit {
  status: FederationStatus;
  /** Last round whose model was persisted (0 before the first). */
  completedRounds: number;
  global: Float32Array;
  /** Updates already aggregated in recent rounds: a retry of one of them is acknowledged, not counted. */
  recentContributions?: Contribution[];
  /** Uniform [0, 1) draws for central DP noise; default the platform's CSPRNG (tests seed it). */
  random?: () => number;
  /** The strategy's server state saved with the last stored round (FedAdam's moments, FedAvgM's velocity). */
  serverState?: Float64Array | null;
  /**
   * Several coordinators take this federation's updates: each folds what it receives into a partial
   * aggregate in the store and the engine only counts them (countShared); a round closes in two steps
   * (roundSealing, then sealed() with every partial). Synchronous rounds only.
   */
  sharedAggregation?: boolean;
  /** Devices already online (a coordinator taking over a federation finds them on every coordinator); the next tick may begin a round with them. */
  online?: string[];
}

/**
 * How many rounds back a (device, round) pair must be remembered: a synchronous retry can only name
 * the round just closed (older ones are refused as stale anyway); an asynchronous one any round
 * within the staleness bound.
 */
export function contributionWindow(config: FederationConfig): number {
  return config.mode.kind === 'async' ? config.mode.maxStaleness + 1 : 1;
}

export type Outcome = { ok: true } | { ok: false; reason: string };

/**
 * What both round engines share: the lifecycle (start, pause, resume, stop, finish), the online
 * set, the persist barrier (no new model goes out before the last one was stored) and the effect
 * queue. Subclasses decide who trains what and when a round closes. Pure: every input carries the
 * time, every output is an effect for the adapters, so tests drive it with a fake clock.
 */
export abstract class EngineCore {
  protected state: FederationStatus;
  protected completed: number;
  protected global: Float32Array;
  protected readonly online = new Set<string>();
  protected aggregating: { round: number; newGlobal: Float32Array } | null = null;
  /** (device, round) pairs already folded into a persisted or aggregating model. */
  protected readonly counted = new Map<number, Set<string>>();
  protected out: EngineEffect[] = [];
  /** The codec every update must arrive in: the federation's uplink choice. */
  protected readonly uplink: RoundCodec;
  /** How updates become the next model: the engines call it and nothing else to aggregate. */
  protected readonly strategy: Strategy;
  protected readonly shared: boolean;

  constructor(
    readonly config: FederationConfig,
    readonly manifest: WeightsManifest,
    init: EngineInit,
  ) {
    if (init.global.length !== manifestSize(manifest)) {
      throw new RangeError(`global model has ${init.global.length} values, manifest describes ${manifestSize(manifest)}`);
    }
    this.state = init.status;
    this.completed = init.completedRounds;
    this.global = init.global;
    this.uplink = roundCodecOf(config);
    this.shared = init.sharedAggregation ?? false;
    this.strategy = createFederationStrategy(config, init.global.length, init.random ?? secureRandom());
    if (init.serverState) {
      if (!this.strategy.serverState) throw new RangeError(`strategy ${this.strategy.name} keeps no server state, but one was stored`);
      this.strategy.serverState.restore(init.serverState);
    }
    for (const c of init.recentContributions ?? []) this.markCounted(c);
    for (const id of init.online ?? []) this.online.add(id);
  }

  get status(): FederationStatus {
    return this.state;
  }

  get completedRounds(): number {
    return this.completed;
  }

  get globalWeights(): Float32Array {
    return this.global;
  }

  /** What every device is told with round:start (proximal mu, clip norm, local noise). */
  get instructions(): RoundInstructions {
    return this.strategy.instructions();
  }

  abstract get round(): number;
  abstract get selectedThisRound(): number;
  abstract get updatesThisRound(): number;

  isOnline(deviceId: string): boolean {
    return this.online.has(deviceId);
  }

  start(now: number): { outcome: Outcome; effects: EngineEffect[] } {
    if (this.state !== 'idle') return this.refuse(`cannot start a federation that is ${this.state}`);
    return this.transition(() => {
      if (this.completed >= this.config.maxRounds) this.state = 'finished';
      else this.resumeWork(now);
    });
  }

  /** Stops handing out work; what is in flight is discarded (sync) or kept for later (async). */
  pause(): { outcome: Outcome; effects: EngineEffect[] } {
    if (!this.isRunning()) return this.refuse(`cannot pause a federation that is ${this.state}`);
    return this.transition(() => {
      this.suspend('the operator paused the federation');
      this.state = 'paused';
    });
  }

  resume(now: number): { outcome: Outcome; effects: EngineEffect[] } {
    if (this.state !== 'paused') return this.refuse(`cannot resume a federation that is ${this.state}`);
    return this.transition(() => this.resumeWork(now));
  }

  /** Final: a stopped federation keeps its model and history but never trains again. */
  stop(): { outcome: Outcome; effects: EngineEffect[] } {
    if (this.state === 'finished' || this.state === 'stopped') return this.refuse(`federation is already ${this.state}`);
    return this.transition(() => {
      this.suspend('the operator stopped the federation');
      this.state = 'stopped';
    });
  }

  /**
   * The adapter evaluated and stored the round's model; only now may new work go out. The
   * federation finishes at maxRounds or when the evaluated accuracy reached the target.
   */
  roundPersisted(round: number, now: number, accuracy: number | null = null): EngineEffect[] {
    return this.run(() => {
      if (this.aggregating?.round !== round) return;
      this.global = this.aggregating.newGlobal;
      this.completed = round;
      this.aggregating = null;
      this.forgetOldContributions();
      if (!this.isRunning()) return;
      const target = this.config.targetAccuracy;
      const reachedTarget = target !== undefined && accuracy !== null && accuracy >= target;
      if (this.completed >= this.config.maxRounds || reachedTarget || privacyExhausted(this.config, this.completed)) {
        this.suspend('the federation finished');
        this.state = 'finished';
        return;
      }
      this.resumeWork(now);
    });
  }

  submitUpdate(update: DeviceUpdate, now: number): { result: UpdateResult; effects: EngineEffect[] } {
    let result: UpdateResult = { ok: false, reason: 'not handled' };
    const effects = this.run(() => {
      if (update.federationId !== this.config.id) {
        result = { ok: false, reason: `update for federation "${update.federationId}" sent to federation "${this.config.id}"` };
      } else if (this.counted.get(update.round)?.has(update.deviceId)) {
        result = { ok: true, duplicate: true };
      } else {
        result = this.acceptUpdate(update, now);
      }
      if (!result.ok) this.countRejection();
    });
    return { result, effects };
  }

  /** Checks an update's payload and folds it alone, for the store's partial of the coordinator that received it (shared aggregation). */
  partialOf(update: DeviceUpdate): { ok: true; partial: PartialAggregate } | { ok: false; reason: string } {
    const payload = checkUpdate(update, this.manifest, this.uplink, this.instructions);
    if (!payload.ok) return payload;
    const aggregation = this.strategy.beginRound();
    if (!isSplittable(aggregation)) return { ok: false, reason: `strategy ${this.strategy.name} needs every update of a round at once` };
    aggregation.add(payload.delta, update.numExamples);
    return { ok: true, partial: aggregation.partial() };
  }

  abstract deviceOnline(deviceId: string, now: number): EngineEffect[];
  abstract deviceOffline(deviceId: string, now: number): EngineEffect[];
  abstract tick(now: number): EngineEffect[];
  /** Why an update for `round` from this device would be refused before its payload is read (chunked uploads ask at update:begin); null when it may come. */
  abstract uploadProblem(deviceId: string, round: number): string | null;

  protected abstract acceptUpdate(update: DeviceUpdate, now: number): UpdateResult;
  protected abstract countRejection(): void;
  /** Hand out whatever work the current state allows (status is one of the running ones after). */
  protected abstract resumeWork(now: number): void;
  /** Stop handing out work, dropping or keeping what is in flight. */
  protected abstract suspend(reason: string): void;

  protected isRunning(): boolean {
    return this.state === 'waiting' || this.state === 'training' || this.state === 'aggregating';
  }

  protected markCounted(c: Contribution): void {
    let devices = this.counted.get(c.round);
    if (!devices) this.counted.set(c.round, (devices = new Set()));
    devices.add(c.deviceId);
  }

  /** The strategy's step to the next model, with the server state to store beside it (null when stateless). */
  protected stepModel(aggregated: Float32Array): { newGlobal: Float32Array; serverState: Float64Array | null } {
    const newGlobal = this.strategy.step(this.global, aggregated);
    return { newGlobal, serverState: this.strategy.serverState?.save() ?? null };
  }

  /** The round that the model being aggregated (or else the last stored one) completes. */
  protected get closedRounds(): number {
    return this.aggregating?.round ?? this.completed;
  }

  private forgetOldContributions(): void {
    const oldest = this.completed - contributionWindow(this.config);
    for (const round of this.counted.keys()) if (round < oldest) this.counted.delete(round);
  }

  private refuse(reason: string): { outcome: Outcome; effects: EngineEffect[] } {
    return { outcome: { ok: false, reason }, effects: [] };
  }

  private transition(step: () => void): { outcome: Outcome; effects: EngineEffect[] } {
    return { outcome: { ok: true }, effects: this.run(step) };
  }

  /** Runs one input and appends a single statusChanged when the status (or round) moved. */
  protected run(step: () => void): EngineEffect[] {
    const before = `${this.state}/${this.round}`;
    this.out = [];
    step();
    const effects = this.out;
    this.out = [];
    if (`${this.state}/${this.round}` !== before) effects.push({ type: 'statusChanged', status: this.state, round: this.round });
    return effects;
  }
}
