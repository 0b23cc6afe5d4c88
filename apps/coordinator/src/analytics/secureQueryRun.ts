import { randomUUID } from 'node:crypto';
import { asClause, type Ack } from '@flock/fl-core';
import { answerLayout, decodeSecureSum, finishQuery, secureRoundOfQuery, secureSumLevels, type AnswerLayout } from '@flock/fl-core/analytics';
import { deriveSecAggParams, type SecAggAnswerMessage, type SecAggRequestMessage, type SecureAggregationConfig } from '@flock/fl-core/secagg';
import { SecureRound, type SecureRoundEffect, type SecureStage } from '../rounds/secureRound.ts';
import type { AnswerAccepted, QueryEffect, QueryRunInit, QueryRunStatus } from './queryRun.ts';

/** What a secure query needs besides a plain one: the federation's secure-aggregation settings. */
export interface SecureQueryRunInit extends QueryRunInit {
  federationId: string;
  secure: SecureAggregationConfig;
}

/** What a secure query does beside its QueryEffects: the secure-sum stages' requests, their log, and effects that come after its crypto. */
export interface SecureQueryOutputs {
  askSecure(deviceId: string, msg: SecAggRequestMessage): void;
  record(level: 'info' | 'warn', kind: string, message: string): void;
  /** Effects of work that finished after the call that started it (the sum's unmasking). */
  later(effects: QueryEffect[]): void;
  track(work: Promise<unknown>): void;
}

const STAGE_DONE: Record<SecureStage, string> = {
  advertise: 'advertised their keys',
  'share-keys': 'shared their keys',
  'masked-input': 'sent their masked answers',
  unmask: 'sent the shares that unmask the sum',
};

/**
 * One query on a federation that aggregates securely: its answers travel through the same SecAgg+ stages as a
 * training round's updates (a SecureRound numbered in the queries' own range), so the coordinator only ever unmasks
 * the sum of the devices that sent their masked answers, at least the round's threshold of them. It asks every
 * device online once (a device that joins later holds no keys for the sum), and closes when the stages end.
 */
export class SecureQueryRun {
  private state: QueryRunStatus = 'pending';
  private readonly layout: AnswerLayout;
  private round: SecureRound | null = null;
  private levels = 0;
  private asked = 0;
  private closedBy: 'all-answered' | 'deadline' = 'all-answered';

  constructor(
    private readonly init: SecureQueryRunInit,
    private readonly outputs: SecureQueryOutputs,
  ) {
    this.layout = answerLayout(init.query, init.context);
  }

  get status(): QueryRunStatus {
    return this.state;
  }

  /** Asks every device online now for its answer and opens the secure sum over them; refused at once below the floor. */
  start(online: readonly string[], now: number): QueryEffect[] {
    if (this.state !== 'pending') return [];
    const deviceIds = [...new Set(online)].sort();
    const floor = this.floorProblem(deviceIds.length);
    if (floor) return this.refuse(floor, now);
    this.asked = deviceIds.length;
    this.levels = secureSumLevels(deviceIds.length);
    const deadline = now + this.init.query.deadlineMs;
    this.round = new SecureRound({
      federationId: this.init.federationId,
      round: secureRoundOfQuery(this.init.queryId),
      selected: deviceIds,
      vectorLength: this.layout.length,
      // A query's words are encoded before masking (secureAnswerWords): the round's own quantization is not used.
      clip: 1,
      maxWeight: 1,
      roundSeed: randomUUID(),
      config: this.init.secure,
      startedAt: now,
      deadline,
    });
    this.state = 'running';
    const asked: QueryEffect = { type: 'askDevices', queryId: this.init.queryId, deviceIds, deadline, secureSumLevels: this.levels };
    // The advertise requests leave before the ask itself: a device needs the ask only two stages later, at masked-input.
    return [asked, ...this.carryOut(this.round.begin(), now)];
  }

  /** A device that comes back holds no keys for this sum: it is not asked again. */
  deviceOnline(): QueryEffect[] {
    return [];
  }

  deviceOffline(deviceId: string, now: number): QueryEffect[] {
    const round = this.round;
    if (this.state === 'running' && round) this.outputs.track(round.deviceLeft(deviceId).then((effects) => this.outputs.later(this.carryOut(effects, now))));
    return [];
  }

  answer(): { result: AnswerAccepted; effects: QueryEffect[] } {
    return {
      result: { ok: false, reason: `query ${this.init.queryId} is answered as a secure sum on this federation, so an answer in the clear was not counted` },
      effects: [],
    };
  }

  /** A device's answer to one stage of the secure sum (an untrusted payload). */
  async secureAnswer(deviceId: string, msg: SecAggAnswerMessage): Promise<{ result: Ack; effects: QueryEffect[] }> {
    const round = this.round;
    if (this.state !== 'running' || !round)
      return { result: { ok: false, reason: `query ${this.init.queryId} is closed: the answer was not counted` }, effects: [] };
    const { result, effects } = await round.receive(deviceId, msg.stage, msg.answer);
    return { result, effects: this.carryOut(effects, Date.now()) };
  }

  tick(now: number): QueryEffect[] {
    const round = this.round;
    if (this.state === 'running' && round) this.outputs.track(round.tick(now).then((effects) => this.outputs.later(this.carryOut(effects, now))));
    return [];
  }

  /** Why `online` devices cannot give a sum: fewer than the query's floor, or than secure aggregation needs. */
  private floorProblem(online: number): string | null {
    const { minDevices } = this.init.query.privacy;
    if (online < minDevices) {
      const are = online === 1 ? '1 device is' : `${online} devices are`;
      return `only ${are} online and the query needs answers from at least ${minDevices} (its minDevices), so it was not asked. Ask again when more devices are online, or lower minDevices.`;
    }
    const params = deriveSecAggParams(online, this.init.secure);
    return params.ok ? null : `its answers could not be summed securely: ${withoutRedo(params.reason)}`;
  }

  private carryOut(effects: readonly SecureRoundEffect[], now: number): QueryEffect[] {
    if (this.state !== 'running') return [];
    const out: QueryEffect[] = [];
    const { queryId } = this.init;
    for (const e of effects) {
      switch (e.type) {
        case 'askDevices':
          for (const [deviceId, request] of e.requests)
            this.outputs.askSecure(deviceId, { stage: e.stage, deadline: e.deadline, request } as SecAggRequestMessage);
          break;
        case 'stageClosed': {
          if (e.stage === 'masked-input') this.closedBy = e.closedBy;
          const left = e.missing.length === 0 ? '' : `; ${e.missing.length} ${e.closedBy === 'deadline' ? 'did not answer in time' : 'left'}`;
          this.outputs.record(
            e.missing.length > 0 ? 'warn' : 'info',
            'query-secure-stage',
            `query ${queryId}, secure sum: ${e.answered} devices ${STAGE_DONE[e.stage]}${left}`,
          );
          break;
        }
        case 'aborted':
          out.push(...this.refuse(`its secure sum stopped at the ${e.stage} stage: ${withoutRedo(e.reason)} Ask again when more devices are online.`, now));
          break;
        case 'finished':
          out.push(...this.finish(e.sum, e.contributors.length, now));
          break;
        default:
          return e satisfies never;
      }
    }
    return out;
  }

  private finish(words: Uint32Array, contributors: number, now: number): QueryEffect[] {
    // Each honest device's last word is 1: a sum whose last word is not the number of devices holds a malformed answer.
    if (words[this.layout.length] !== contributors)
      return this.refuse('a device sent a malformed masked answer, so the secure sum is not the sum of the answers. Ask again.', now);
    const sum = decodeSecureSum(words.subarray(0, this.layout.length), this.layout, this.levels, contributors);
    const outcome = finishQuery(this.init.query, this.init.context, { sum, devices: contributors }, this.init.random);
    if (!outcome.ok) return this.refuse(outcome.reason, now);
    this.state = 'done';
    const { queryId } = this.init;
    return [{ type: 'queryDone', queryId, result: outcome.result, asked: this.asked, answered: contributors, closedBy: this.closedBy, at: now, secure: true }];
  }

  private refuse(reason: string, now: number): QueryEffect[] {
    this.state = 'refused';
    return [{ type: 'queryRefused', queryId: this.init.queryId, reason, asked: this.asked, answered: 0, at: now }];
  }
}

/** SecAgg's reasons end with what happens to a training round ("the round is redone"); a query is not redone. */
export function withoutRedo(reason: string): string {
  const trimmed = reason.replace(/[;,]?\s*the round is redone( when more join)?\.?$/, '').trim();
  return `${asClause(trimmed).replace(/[.;,]$/, '')}.`;
}
