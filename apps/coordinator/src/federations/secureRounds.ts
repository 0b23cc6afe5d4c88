import { asClause, type Ack } from '@flock/fl-core';
import type { SecAggAnswerMessage, SecAggRequestMessage } from '@flock/fl-core/secagg';
import type { SecureRoundOutcome } from '../rounds/engineEffects.ts';
import { SecureRound, type SecureRoundEffect, type SecureRoundOptions } from '../rounds/secureRound.ts';
import { MaskWorkers } from '../secagg/maskWorkers.ts';
import { secureStageClosedText } from './eventWords.ts';

/** One set of mask threads for the process: federations unmask in turn far more often than at once. */
const maskWorkers = new MaskWorkers();

/** What the driver needs of its federation's runtime. */
export interface SecureRoundHooks {
  /** Sends one device its part of a stage. */
  ask(deviceId: string, msg: SecAggRequestMessage): void;
  record(level: 'info' | 'warn', kind: string, message: string): void;
  /** The stages ended: the engine closes the round with the unmasked mean, or redoes it. */
  ended(round: number, outcome: SecureRoundOutcome): void;
}

interface Running {
  round: SecureRound;
  number: number;
  /** Bytes of the masked updates taken, for the round's record. */
  bytesUp: number;
  maskedInputClosedBy: 'all-answered' | 'deadline';
}

/**
 * Runs the open round's SecureRound for one federation: feeds it the devices' answers, the devices that leave and the
 * time, and carries out its effects (send each device its request, log each stage, hand the outcome to the engine).
 * One round at a time; the engine drops it when the round ends another way (paused, stopped, everyone left).
 */
export class SecureRoundDriver {
  private running: Running | null = null;

  constructor(private readonly hooks: SecureRoundHooks) {}

  begin(options: SecureRoundOptions): void {
    const maskSummer = maskWorkers.summer((reason) => this.hooks.record('warn', 'secure-unmask-threads', reason));
    const round = new SecureRound({ ...options, maskSummer });
    const running: Running = { round, number: options.round, bytesUp: 0, maskedInputClosedBy: 'all-answered' };
    this.running = running;
    this.carryOut(running, round.begin());
  }

  /** A round's stages are under way. */
  get active(): boolean {
    return this.running !== null;
  }

  /** The round ended without its stages (paused, stopped, redone): later answers are refused. */
  drop(round: number): void {
    if (this.running?.number === round) this.running = null;
  }

  async receive(deviceId: string, msg: SecAggAnswerMessage, bytes: number): Promise<Ack> {
    const running = this.running;
    if (!running) return { ok: false, reason: 'no securely aggregated round is running, so this answer was ignored' };
    const { result, effects } = await running.round.receive(deviceId, msg.stage, msg.answer);
    if (result.ok && msg.stage === 'masked-input') running.bytesUp += bytes;
    this.carryOut(running, effects);
    return result;
  }

  async deviceLeft(deviceId: string): Promise<void> {
    const running = this.running;
    if (running) this.carryOut(running, await running.round.deviceLeft(deviceId));
  }

  async tick(now: number): Promise<void> {
    const running = this.running;
    if (running) this.carryOut(running, await running.round.tick(now));
  }

  private carryOut(running: Running, effects: SecureRoundEffect[]): void {
    // A round dropped while its crypto ran (the federation paused meanwhile) has nobody left to tell.
    if (this.running !== running) return;
    for (const e of effects) {
      switch (e.type) {
        case 'askDevices':
          for (const [deviceId, request] of e.requests) this.hooks.ask(deviceId, { stage: e.stage, deadline: e.deadline, request } as SecAggRequestMessage);
          break;
        case 'stageClosed':
          if (e.stage === 'masked-input') running.maskedInputClosedBy = e.closedBy;
          this.hooks.record(e.missing.length > 0 ? 'warn' : 'info', 'secure-stage-closed', secureStageClosedText(running.number, e));
          break;
        case 'aborted':
          this.running = null;
          this.hooks.ended(running.number, { ok: false, reason: `secure aggregation stopped at its ${e.stage} stage (${asClause(e.reason)})` });
          break;
        case 'finished':
          this.running = null;
          this.hooks.ended(running.number, {
            ok: true,
            mean: e.mean,
            contributors: e.contributors,
            totalWeight: e.totalWeight,
            bytesUp: running.bytesUp,
            closedBy: running.maskedInputClosedBy,
          });
          break;
        default:
          return e satisfies never;
      }
    }
  }
}
