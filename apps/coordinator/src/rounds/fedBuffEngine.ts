import { epsilonAfter, type AggregationMode, type RoundAggregation } from '@flock/fl-core';
import { EngineCore } from './engineCore.ts';
import type { Contribution, DeviceUpdate, EngineEffect, UpdateResult } from './engineEffects.ts';
import { longestDeadlineMs } from './roundDeadline.ts';
import { TrainingMetricsSum } from './trainingMetrics.ts';
import { checkUpdate } from './updatePayload.ts';

type AsyncMode = Extract<AggregationMode, { kind: 'async' }>;

interface UpdateBuffer {
  aggregation: RoundAggregation;
  contributions: Contribution[];
  examples: number;
  training: TrainingMetricsSum;
  stalenessSum: number;
  bytesUp: number;
  rejected: number;
  startedAt: number;
}

/** FedBuff's staleness weight s(t) = 1 / sqrt(1 + t) (Nguyen et al. 2022, section 5). */
export function stalenessWeight(staleness: number): number {
  return 1 / Math.sqrt(1 + staleness);
}

/**
 * Buffered asynchronous aggregation (FedBuff): every free online device is sent the latest model
 * at once, trains whenever it can, and uploads a delta named by the round it trained for. Every
 * `bufferSize` accepted updates become one round: global + the mean of the deltas weighted by
 * examples x stalenessWeight. Updates more than `maxStaleness` rounds old are refused. Pausing
 * hands out no new work but keeps the updates already buffered and those still arriving.
 */
export class FedBuffEngine extends EngineCore {
  private readonly inFlight = new Map<string, number>();
  private buffer: UpdateBuffer;

  constructor(...args: ConstructorParameters<typeof EngineCore>) {
    super(...args);
    if (this.config.mode.kind !== 'async') throw new RangeError('FedBuffEngine needs an async federation');
    this.buffer = this.emptyBuffer(0);
  }

  private get mode(): AsyncMode {
    return this.config.mode as AsyncMode;
  }

  /** The round the buffer is filling while training, else the last one closed. */
  get round(): number {
    return this.state === 'training' ? this.closedRounds + 1 : this.closedRounds;
  }

  get selectedThisRound(): number {
    return this.inFlight.size;
  }

  get updatesThisRound(): number {
    return this.buffer.contributions.length;
  }

  deviceOnline(deviceId: string, now: number): EngineEffect[] {
    return this.run(() => {
      this.online.add(deviceId);
      // A device seen again (new socket, reloaded tab) gets the latest model, whatever it held.
      this.inFlight.delete(deviceId);
      if (this.state === 'waiting') this.resumeWork(now);
      else this.assign(now);
    });
  }

  deviceOffline(deviceId: string, _now: number): EngineEffect[] {
    return this.run(() => {
      this.online.delete(deviceId);
      const round = this.inFlight.get(deviceId);
      if (round === undefined) return;
      this.inFlight.delete(deviceId);
      this.out.push({ type: 'deviceDropped', round, deviceId });
    });
  }

  private takesUpdates(): boolean {
    return this.isRunning() || this.state === 'paused';
  }

  /** Nothing waits on a clock: a slow device only makes its own update staler. */
  tick(_now: number): EngineEffect[] {
    return [];
  }

  uploadProblem(_deviceId: string, round: number): string | null {
    if (!this.takesUpdates()) return `update for round ${round} but the federation is ${this.state}`;
    const current = this.closedRounds + 1;
    if (round > current) return `update for round ${round} but the latest model is for round ${current}`;
    const staleness = current - round;
    if (staleness > this.mode.maxStaleness) {
      return `update for round ${round} is ${staleness} rounds stale (the model is at round ${current}, max staleness ${this.mode.maxStaleness})`;
    }
    return null;
  }

  protected acceptUpdate(u: DeviceUpdate, now: number): UpdateResult {
    const problem = this.uploadProblem(u.deviceId, u.round);
    if (problem) {
      // Only a stale update frees its device for new work; one the federation cannot take yet does not.
      if (this.takesUpdates() && u.round <= this.closedRounds + 1) this.release(u.deviceId, u.round, now);
      return { ok: false, reason: problem };
    }
    const staleness = this.closedRounds + 1 - u.round;
    const payload = checkUpdate(u, this.manifest, this.uplink, this.instructions);
    if (!payload.ok) return payload;

    const b = this.buffer;
    b.aggregation.add(payload.delta, u.numExamples * stalenessWeight(staleness));
    b.contributions.push({ deviceId: u.deviceId, round: u.round });
    b.examples += u.numExamples;
    b.training.add(u.metrics, u.numExamples);
    b.stalenessSum += staleness;
    b.bytesUp += u.payload.byteLength;
    this.markCounted({ deviceId: u.deviceId, round: u.round });
    if (this.state === 'training' && b.contributions.length >= this.mode.bufferSize) this.close(now);
    this.release(u.deviceId, u.round, now);
    return { ok: true, duplicate: false };
  }

  protected countRejection(): void {
    this.buffer.rejected++;
  }

  protected resumeWork(now: number): void {
    if (this.aggregating) {
      this.state = 'aggregating';
      return;
    }
    if (this.online.size < this.config.minDevices) {
      this.state = 'waiting';
      return;
    }
    this.state = 'training';
    if (this.buffer.contributions.length === 0) this.buffer.startedAt = now;
    if (this.buffer.contributions.length >= this.mode.bufferSize) this.close(now);
    else this.assign(now);
  }

  /** Buffered updates stay: they were computed in good faith and count when the federation resumes. */
  protected suspend(_reason: string): void {}

  /** The device finished the work it was given: give it the latest model. */
  private release(deviceId: string, round: number, now: number): void {
    if (this.inFlight.get(deviceId) === round) this.inFlight.delete(deviceId);
    this.assign(now);
  }

  /** Sends the latest stored model to every online device that has no work. */
  private assign(now: number): void {
    if (this.state !== 'training') return;
    const idle = [...this.online].filter((id) => !this.inFlight.has(id)).sort();
    if (idle.length === 0) return;
    const round = this.completed + 1;
    for (const id of idle) this.inFlight.set(id, round);
    this.out.push({ type: 'broadcastRound', round, deviceIds: idle, deadline: now + longestDeadlineMs(this.config.deadline), global: this.global });
  }

  private close(now: number): void {
    const b = this.buffer;
    const { newGlobal, serverState } = this.stepModel(b.aggregation.result());
    const round = this.completed + 1;
    this.aggregating = { round, newGlobal };
    this.buffer = this.emptyBuffer(now);
    this.state = 'aggregating';
    const count = b.contributions.length;
    this.out.push({
      type: 'roundClosed',
      round,
      newGlobal,
      participants: [...new Set(b.contributions.map((c) => c.deviceId))].sort(),
      contributions: b.contributions,
      examples: b.examples,
      ...b.training.mean(),
      bytesUp: b.bytesUp,
      rejected: b.rejected,
      startedAt: b.startedAt,
      closedAt: now,
      closedBy: 'buffer-full',
      deadline: null,
      extended: false,
      meanStaleness: b.stalenessSum / count,
      epsilon: epsilonAfter(this.config, round),
      serverState,
    });
  }

  private emptyBuffer(now: number): UpdateBuffer {
    return {
      aggregation: this.strategy.beginRound(),
      contributions: [],
      examples: 0,
      training: new TrainingMetricsSum(),
      stalenessSum: 0,
      bytesUp: 0,
      rejected: 0,
      startedAt: now,
    };
  }
}
