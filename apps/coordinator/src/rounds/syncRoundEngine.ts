import {
  createRng,
  epsilonAfter,
  isSplittable,
  secureAggregationOf,
  shuffleInPlace,
  type FederationConfig,
  type PartialAggregate,
  type RoundAggregation,
} from '@flock/fl-core';
import { EngineCore } from './engineCore.ts';
import type { DeviceUpdate, EngineEffect, SecureRoundOutcome, SharedUpdate, UpdateResult } from './engineEffects.ts';
import { roundDeadlineMs } from './roundDeadline.ts';
import { TrainingMetricsSum } from './trainingMetrics.ts';
import { checkUpdate } from './updatePayload.ts';

export type { DeviceUpdate, EngineEffect, SecureRoundOutcome, SharedUpdate, UpdateResult } from './engineEffects.ts';
export type { EngineInit } from './engineCore.ts';

interface OpenRound {
  round: number;
  selected: Set<string>;
  answered: Set<string>;
  /** Selected devices that went offline; one that comes back before the round closes rejoins it. */
  dropped: Set<string>;
  /** When each selected device was last sent the model: its training time is measured from there. */
  sentAt: Map<string, number>;
  aggregation: RoundAggregation;
  examples: number;
  training: TrainingMetricsSum;
  bytesUp: number;
  rejected: number;
  startedAt: number;
  deadline: number;
  extended: boolean;
}

/** Shared aggregation: a round that may close, waiting for every coordinator's partial. */
interface SealingRound {
  open: OpenRound;
  closedBy: 'all-answered' | 'deadline';
  closedAt: number;
}

/**
 * Synchronous rounds (FedAvg): a seeded selection of the online devices trains the same model; the
 * round closes when all of them answered, or at the deadline with the quorum; below the quorum it
 * is extended once or abandoned and redone with a fresh selection.
 */
export class SyncRoundEngine extends EngineCore {
  private open: OpenRound | null = null;
  private sealing: SealingRound | null = null;
  /** Abandoned attempts of the current round number, so each retry draws a fresh selection. */
  private attempt = 0;
  /** Each device's last measured training time (model sent -> update accepted), for adaptive deadlines. */
  private readonly trainingMs = new Map<string, number>();

  get round(): number {
    return this.open?.round ?? this.sealing?.open.round ?? this.closedRounds;
  }

  get selectedThisRound(): number {
    return this.open?.selected.size ?? 0;
  }

  get updatesThisRound(): number {
    return this.open?.answered.size ?? 0;
  }

  /** Also called for a device that is already online (a new socket): it gets the running round again. */
  deviceOnline(deviceId: string, now: number): EngineEffect[] {
    return this.run(() => {
      this.online.add(deviceId);
      const open = this.open;
      if (!open) {
        this.maybeBeginRound(now);
        return;
      }
      if (open.dropped.delete(deviceId)) open.selected.add(deviceId);
      if (open.selected.has(deviceId) && !open.answered.has(deviceId)) {
        open.sentAt.set(deviceId, now);
        this.out.push({ type: 'broadcastRound', round: open.round, deviceIds: [deviceId], deadline: open.deadline, global: this.global });
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

  tick(now: number): EngineEffect[] {
    return this.run(() => {
      const open = this.open;
      if (!open) {
        this.maybeBeginRound(now);
        return;
      }
      if (this.secure) {
        // The stages keep their own deadlines (SecureRound) and end with secureRoundEnded; this only guards against a round that never ends.
        if (now >= open.deadline + (open.deadline - open.startedAt)) this.abandon(now, 'secure aggregation did not finish within twice its deadline');
        return;
      }
      if (now < open.deadline) return;
      const needed = Math.max(1, Math.ceil(this.config.quorum * open.selected.size));
      if (open.answered.size >= needed) {
        this.close(now, 'deadline');
      } else if (this.config.belowQuorum === 'extend-once' && !open.extended) {
        open.extended = true;
        open.deadline = now + (open.deadline - open.startedAt);
        this.out.push({ type: 'roundExtended', round: open.round, deadline: open.deadline, answered: open.answered.size, selected: open.selected.size });
      } else {
        this.abandon(now, `only ${open.answered.size} of the ${open.selected.size} devices still in it sent an update by its deadline (${needed} needed)`);
      }
    });
  }

  uploadProblem(deviceId: string, round: number): string | null {
    const open = this.open;
    if (!open) {
      const running = this.aggregating ? `round ${this.aggregating.round} is being aggregated` : `the federation is ${this.state}`;
      return `update for round ${round} but no round is running (${running})`;
    }
    if (round !== open.round) return `update for round ${round} but round ${open.round} is running`;
    if (this.secure) return SECURE_UPDATES;
    // A dropped device gets its place back when it reconnects: what it began uploading waits for it.
    if (!open.selected.has(deviceId) && !open.dropped.has(deviceId)) return notSelected(open.round);
    return null;
  }

  protected acceptUpdate(u: DeviceUpdate, now: number): UpdateResult {
    const problem = this.uploadProblem(u.deviceId, u.round);
    if (problem) return { ok: false, reason: problem };
    // No problem means a round is open.
    const open = this.open!;
    if (open.answered.has(u.deviceId)) return { ok: true, duplicate: true };
    if (!open.selected.has(u.deviceId)) return { ok: false, reason: notSelected(open.round) };
    const payload = checkUpdate(u, this.manifest, this.uplink, this.instructions);
    if (!payload.ok) return payload;

    open.aggregation.add(payload.delta, u.numExamples);
    this.answered(open, { deviceId: u.deviceId, round: u.round, examples: u.numExamples, ...u.metrics, bytesUp: u.payload.byteLength }, now);
    return { ok: true, duplicate: false };
  }

  /**
   * Shared aggregation: a coordinator folded this update into its partial under the open round.
   * It counts toward closing the round; what the model gets is what sealed() is given.
   */
  countShared(u: SharedUpdate, now: number): EngineEffect[] {
    return this.run(() => {
      const open = this.open;
      if (!open || open.round !== u.round || open.answered.has(u.deviceId)) return;
      open.dropped.delete(u.deviceId);
      open.selected.add(u.deviceId);
      this.answered(open, u, now);
    });
  }

  /**
   * Shared aggregation: every coordinator's partial of the round that was sealing and the updates
   * they counted, as the store holds them; the round closes with those (or is redone when none came).
   */
  sealed(round: number, parts: { partials: PartialAggregate[]; counted: SharedUpdate[] }, now: number): EngineEffect[] {
    return this.run(() => {
      const sealing = this.sealing;
      if (sealing?.open.round !== round) return;
      this.sealing = null;
      const { open } = sealing;
      if (parts.counted.length === 0) {
        this.open = open;
        this.abandon(now, 'no coordinator had counted an update when it closed');
        return;
      }
      const aggregation = open.aggregation;
      if (!isSplittable(aggregation)) throw new Error(`strategy ${this.strategy.name} cannot merge partial aggregates`);
      for (const partial of parts.partials) aggregation.merge(partial);
      const counted: OpenRound = { ...open, answered: new Set(), examples: 0, training: new TrainingMetricsSum(), bytesUp: 0 };
      for (const u of parts.counted) {
        counted.answered.add(u.deviceId);
        counted.examples += u.examples;
        counted.training.add(u, u.examples);
        counted.bytesUp += u.bytesUp;
      }
      this.closeWith(counted, sealing.closedBy, sealing.closedAt);
    });
  }

  /**
   * Secure aggregation: the round's stages ended. Their unmasked mean goes into the model as one aggregate weighted by the
   * contributors' examples; without one the round is redone with a fresh selection.
   */
  secureRoundEnded(round: number, outcome: SecureRoundOutcome, now: number): EngineEffect[] {
    return this.run(() => {
      const open = this.open;
      if (!open || open.round !== round) return;
      if (!outcome.ok) {
        this.abandon(now, outcome.reason);
        return;
      }
      open.aggregation.add(outcome.mean, outcome.totalWeight);
      for (const deviceId of outcome.contributors) open.answered.add(deviceId);
      open.examples = Math.round(outcome.totalWeight);
      open.bytesUp = outcome.bytesUp;
      this.closeWith(open, outcome.closedBy, now);
    });
  }

  private get secure(): boolean {
    return secureAggregationOf(this.config) !== null;
  }

  private answered(open: OpenRound, u: SharedUpdate, now: number): void {
    open.answered.add(u.deviceId);
    open.examples += u.examples;
    open.training.add(u, u.examples);
    open.bytesUp += u.bytesUp;
    this.trainingMs.set(u.deviceId, now - (open.sentAt.get(u.deviceId) ?? open.startedAt));
    this.closeIfEveryoneAnswered(now);
  }

  protected countRejection(): void {
    if (this.open) this.open.rejected++;
  }

  protected resumeWork(now: number): void {
    this.state = this.aggregating ? 'aggregating' : 'waiting';
    this.maybeBeginRound(now);
  }

  protected suspend(reason: string): void {
    if (this.open) this.discard(reason);
  }

  private maybeBeginRound(now: number): void {
    if (this.state !== 'waiting' || this.online.size < this.config.minDevices) return;
    const round = this.completed + 1;
    const selected = selectDevices(this.online, this.config.clientsPerRound, selectionSeed(this.config.modelSeed, round, this.attempt));
    const deadline = now + roundDeadlineMs(this.config.deadline, selected, this.trainingMs);
    this.open = {
      round,
      selected: new Set(selected),
      answered: new Set(),
      dropped: new Set(),
      sentAt: new Map(selected.map((id) => [id, now])),
      aggregation: this.strategy.beginRound(),
      examples: 0,
      training: new TrainingMetricsSum(),
      bytesUp: 0,
      rejected: 0,
      startedAt: now,
      deadline,
      extended: false,
    };
    this.state = 'training';
    if (this.shared) this.out.push({ type: 'roundOpened', round, deviceIds: selected, deadline, startedAt: now, global: this.global });
    else this.out.push({ type: 'broadcastRound', round, deviceIds: selected, deadline, global: this.global });
    if (this.secure) this.out.push({ type: 'secureRoundOpened', round, deviceIds: selected, startedAt: now, deadline });
  }

  private closeIfEveryoneAnswered(now: number): void {
    const open = this.open;
    if (!open || open.answered.size < open.selected.size) return;
    if (open.answered.size > 0) this.close(now, 'all-answered');
    else this.abandon(now, 'every device selected for it left before sending an update');
  }

  private close(now: number, closedBy: 'all-answered' | 'deadline'): void {
    const open = this.open!;
    if (this.shared) {
      this.sealing = { open, closedBy, closedAt: now };
      this.open = null;
      this.attempt = 0;
      this.state = 'aggregating';
      this.out.push({ type: 'roundSealing', round: open.round });
      return;
    }
    this.closeWith(open, closedBy, now);
  }

  private closeWith(open: OpenRound, closedBy: 'all-answered' | 'deadline', now: number): void {
    const { newGlobal, serverState } = this.stepModel(open.aggregation.result());
    this.open = null;
    this.attempt = 0;
    this.aggregating = { round: open.round, newGlobal };
    const participants = [...open.answered].sort();
    for (const deviceId of participants) this.markCounted({ deviceId, round: open.round });
    this.state = 'aggregating';
    this.out.push({
      type: 'roundClosed',
      round: open.round,
      newGlobal,
      participants,
      contributions: participants.map((deviceId) => ({ deviceId, round: open.round })),
      examples: open.examples,
      ...open.training.mean(),
      bytesUp: open.bytesUp,
      rejected: open.rejected,
      startedAt: open.startedAt,
      closedAt: now,
      closedBy,
      deadline: open.deadline,
      extended: open.extended,
      meanStaleness: 0,
      epsilon: epsilonAfter(this.config, open.round),
      serverState,
    });
  }

  private abandon(now: number, reason: string): void {
    this.discard(reason);
    this.state = 'waiting';
    this.maybeBeginRound(now);
  }

  private discard(reason: string): void {
    const open = this.open!;
    // Devices that left are counted too: the operator asks how many were chosen, not how many stayed.
    const selected = open.selected.size + open.dropped.size;
    this.out.push({ type: 'roundAbandoned', round: open.round, reason, answered: open.answered.size, selected });
    this.open = null;
    this.attempt++;
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

const SECURE_UPDATES =
  'this federation aggregates securely: a device sends its update masked when the secure-aggregation stages ask for it, never as a plain update';

function notSelected(round: number): string {
  return `this device was not selected for round ${round}`;
}
