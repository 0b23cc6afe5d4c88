import {
  FedAvgAccumulator,
  applyDelta,
  createRng,
  manifestSize,
  shuffleInPlace,
  type FederationConfig,
  type FederationStatus,
  type WeightsManifest,
} from '@flock/fl-core';
import type { DeviceUpdate, EngineEffect, UpdateResult } from './engineEffects.ts';
import { checkDeltaPayload } from './updatePayload.ts';

export type { DeviceUpdate, EngineEffect, UpdateResult } from './engineEffects.ts';

/**
 * One federation's round loop as a pure state machine: every input carries the time, every
 * output is an effect for the adapters to carry out. No sockets, timers or storage in here, so
 * tests drive it with a fake clock.
 */

export interface EngineInit {
  status: FederationStatus;
  /** Last round whose model was persisted (0 before the first). */
  completedRounds: number;
  global: Float32Array;
}

interface OpenRound {
  round: number;
  selected: Set<string>;
  answered: Set<string>;
  /** Selected devices that went offline; one that comes back before the round closes rejoins it. */
  dropped: Set<string>;
  accumulator: FedAvgAccumulator;
  examples: number;
  lossSum: number;
  bytesUp: number;
  rejected: number;
  startedAt: number;
  deadline: number;
}

export class RoundEngine {
  private state: FederationStatus;
  private completed: number;
  private global: Float32Array;
  private readonly online = new Set<string>();
  private open: OpenRound | null = null;
  private aggregating: { round: number; newGlobal: Float32Array } | null = null;
  /** Remembered so that a retry of an accepted update after the close is still acknowledged. */
  private lastClosed: { round: number; answered: Set<string> } | null = null;
  /** Abandoned attempts of the current round number, so each retry draws a fresh selection. */
  private attempt = 0;
  private out: EngineEffect[] = [];

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

  /** The round being trained or aggregated, else the last completed one. */
  get round(): number {
    return this.open?.round ?? this.aggregating?.round ?? this.completed;
  }

  get selectedThisRound(): number {
    return this.open?.selected.size ?? 0;
  }

  get updatesThisRound(): number {
    return this.open?.answered.size ?? 0;
  }

  start(now: number): EngineEffect[] {
    return this.run(() => {
      if (this.state !== 'idle' && this.state !== 'stopped') return;
      if (this.completed >= this.config.maxRounds) {
        this.state = 'finished';
        return;
      }
      this.state = this.aggregating ? 'aggregating' : 'waiting';
      this.maybeBeginRound(now);
    });
  }

  stop(): EngineEffect[] {
    return this.run(() => {
      if (this.state !== 'waiting' && this.state !== 'training' && this.state !== 'aggregating') return;
      this.open = null;
      this.state = 'stopped';
    });
  }

  /** Also called for a device that is already online (a new socket): it gets the running round again. */
  deviceOnline(deviceId: string, now: number): EngineEffect[] {
    return this.run(() => {
      this.online.add(deviceId);
      const open = this.open;
      if (open) {
        if (open.dropped.delete(deviceId)) open.selected.add(deviceId);
        if (open.selected.has(deviceId) && !open.answered.has(deviceId)) {
          this.out.push({ type: 'broadcastRound', round: open.round, deviceIds: [deviceId], deadline: open.deadline, global: this.global });
        }
      } else {
        this.maybeBeginRound(now);
      }
    });
  }

  deviceOffline(deviceId: string, now: number): EngineEffect[] {
    return this.run(() => {
      this.online.delete(deviceId);
      const open = this.open;
      if (!open || !open.selected.has(deviceId) || open.answered.has(deviceId)) return;
      open.selected.delete(deviceId);
      open.dropped.add(deviceId);
      this.out.push({ type: 'deviceDropped', round: open.round, deviceId });
      this.closeIfEveryoneAnswered(now);
    });
  }

  submitUpdate(update: DeviceUpdate, now: number): { result: UpdateResult; effects: EngineEffect[] } {
    let result: UpdateResult = { ok: false, reason: 'not handled' };
    const effects = this.run(() => {
      result = this.acceptUpdate(update, now);
      if (!result.ok && this.open) this.open.rejected++;
    });
    return { result, effects };
  }

  tick(now: number): EngineEffect[] {
    return this.run(() => {
      const open = this.open;
      if (!open || now < open.deadline) return;
      const needed = Math.max(1, Math.ceil(this.config.quorum * open.selected.size));
      if (open.answered.size >= needed) this.close(now);
      else this.abandon(now, `deadline passed with ${open.answered.size} of ${open.selected.size} updates (quorum ${needed})`);
    });
  }

  /**
   * The adapter evaluated and stored the round's model; only now may the next round start. The
   * federation finishes when the evaluated accuracy reached the configured target.
   */
  roundPersisted(round: number, now: number, accuracy: number | null = null): EngineEffect[] {
    return this.run(() => {
      if (this.aggregating?.round !== round) return;
      this.global = this.aggregating.newGlobal;
      this.completed = round;
      this.aggregating = null;
      if (this.state !== 'aggregating') return;
      const target = this.config.targetAccuracy;
      const reachedTarget = target !== undefined && accuracy !== null && accuracy >= target;
      if (this.completed >= this.config.maxRounds || reachedTarget) {
        this.state = 'finished';
        return;
      }
      this.state = 'waiting';
      this.maybeBeginRound(now);
    });
  }

  isOnline(deviceId: string): boolean {
    return this.online.has(deviceId);
  }

  private acceptUpdate(u: DeviceUpdate, now: number): UpdateResult {
    if (u.federationId !== this.config.id) {
      return { ok: false, reason: `update for federation "${u.federationId}" sent to federation "${this.config.id}"` };
    }
    if (this.lastClosed?.round === u.round && this.lastClosed.answered.has(u.deviceId)) return { ok: true, duplicate: true };
    const open = this.open;
    if (!open) {
      const running = this.aggregating ? `round ${this.aggregating.round} is being aggregated` : `the federation is ${this.state}`;
      return { ok: false, reason: `update for round ${u.round} but no round is running (${running})` };
    }
    if (u.round !== open.round) {
      return { ok: false, reason: `update for round ${u.round} but round ${open.round} is running` };
    }
    if (open.answered.has(u.deviceId)) return { ok: true, duplicate: true };
    if (!open.selected.has(u.deviceId)) {
      return { ok: false, reason: `device ${u.deviceId} is not selected for round ${open.round}` };
    }
    const maxExamples = u.maxExamples;
    if (!Number.isInteger(u.numExamples) || u.numExamples < 1 || u.numExamples > maxExamples) {
      return { ok: false, reason: `numExamples must be an integer from 1 to ${maxExamples} (the device's examples), got ${u.numExamples}` };
    }
    if (!Number.isFinite(u.metrics.loss)) return { ok: false, reason: `reported training loss is ${u.metrics.loss}` };
    const checked = checkDeltaPayload(u.payload, this.manifest);
    if (!checked.ok) return checked;

    open.accumulator.add(checked.delta, u.numExamples);
    open.answered.add(u.deviceId);
    open.examples += u.numExamples;
    open.lossSum += u.metrics.loss;
    open.bytesUp += u.payload.byteLength;
    this.closeIfEveryoneAnswered(now);
    return { ok: true, duplicate: false };
  }

  private maybeBeginRound(now: number): void {
    if (this.state !== 'waiting' || this.online.size < this.config.minDevices) return;
    const round = this.completed + 1;
    const selected = selectDevices(this.online, this.config.clientsPerRound, selectionSeed(this.config.modelSeed, round, this.attempt));
    const deadline = now + this.config.roundDeadlineMs;
    this.open = {
      round,
      selected: new Set(selected),
      answered: new Set(),
      dropped: new Set(),
      accumulator: new FedAvgAccumulator(this.global.length),
      examples: 0,
      lossSum: 0,
      bytesUp: 0,
      rejected: 0,
      startedAt: now,
      deadline,
    };
    this.state = 'training';
    this.out.push({ type: 'broadcastRound', round, deviceIds: selected, deadline, global: this.global });
  }

  private closeIfEveryoneAnswered(now: number): void {
    const open = this.open;
    if (!open || open.answered.size < open.selected.size) return;
    if (open.answered.size > 0) this.close(now);
    else this.abandon(now, 'every selected device left before answering');
  }

  private close(now: number): void {
    const open = this.open!;
    const newGlobal = applyDelta(this.global, open.accumulator.mean());
    this.open = null;
    this.attempt = 0;
    this.aggregating = { round: open.round, newGlobal };
    this.lastClosed = { round: open.round, answered: open.answered };
    this.state = 'aggregating';
    this.out.push({
      type: 'roundClosed',
      round: open.round,
      newGlobal,
      participants: [...open.answered].sort(),
      examples: open.examples,
      trainLoss: open.lossSum / open.answered.size,
      bytesUp: open.bytesUp,
      rejected: open.rejected,
      startedAt: open.startedAt,
      closedAt: now,
    });
  }

  private abandon(now: number, reason: string): void {
    const open = this.open!;
    this.out.push({ type: 'roundAbandoned', round: open.round, reason, answered: open.answered.size, selected: open.selected.size });
    this.open = null;
    this.attempt++;
    this.state = 'waiting';
    this.maybeBeginRound(now);
  }

  /** Runs one input and appends a single statusChanged when the status (or round) moved. */
  private run(step: () => void): EngineEffect[] {
    const before = `${this.state}/${this.round}`;
    this.out = [];
    step();
    const effects = this.out;
    this.out = [];
    if (`${this.state}/${this.round}` !== before) effects.push({ type: 'statusChanged', status: this.state, round: this.round });
    return effects;
  }
}

/** A seeded draw over the sorted online ids: the same seed and devices give the same selection. */
export function selectDevices(online: ReadonlySet<string>, clientsPerRound: FederationConfig['clientsPerRound'], seed: number): string[] {
  const ids = [...online].sort();
  const count = selectionSize(clientsPerRound, ids.length);
  if (count >= ids.length) return ids;
  shuffleInPlace(ids, createRng(seed));
  return ids.slice(0, count).sort();
}

function selectionSize(clientsPerRound: FederationConfig['clientsPerRound'], online: number): number {
  if (clientsPerRound === 'all') return online;
  if (typeof clientsPerRound === 'number') return clientsPerRound;
  return Math.max(1, Math.round(clientsPerRound.fraction * online));
}

function selectionSeed(modelSeed: number, round: number, attempt: number): number {
  return (modelSeed ^ Math.imul(round, 0x9e3779b1) ^ Math.imul(attempt + 1, 0x85ebca6b)) >>> 0;
}
