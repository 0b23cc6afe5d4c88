import {
  answerLayout,
  answerProblem,
  AnswerSum,
  finishQuery,
  lateScoringHint,
  type AnalyticsQuery,
  type AnswerLayout,
  type QueryContext,
  type QueryResult,
} from '@flock/fl-core/analytics';

/** What a query run asks its adapter to do, and how it ended. */
export type QueryEffect =
  /** `secureSumLevels`: the answers travel as a secure sum (SecureQueryRun), encoded at these levels. */
  | { type: 'askDevices'; queryId: string; deviceIds: string[]; deadline: number; secureSumLevels?: number }
  | {
      type: 'queryDone';
      queryId: string;
      result: QueryResult;
      asked: number;
      answered: number;
      closedBy: 'all-answered' | 'deadline';
      at: number;
      /** The coordinator saw only the sum of the answers. */
      secure?: true;
    }
  | { type: 'queryRefused'; queryId: string; reason: string; asked: number; answered: number; at: number };

export type AnswerAccepted = { ok: true; duplicate: boolean } | { ok: false; reason: string };

export type QueryRunStatus = 'pending' | 'running' | 'done' | 'refused';

export interface QueryRunInit {
  queryId: string;
  query: AnalyticsQuery;
  context: QueryContext;
  /** The DP noise's randomness (a seeded one in tests). */
  random?: () => number;
}

/**
 * One query, run like a round but pure: inputs carry the time and return effects. It asks every online device,
 * takes each one's answer once (checked against the query's layout: length, finite, within what one device may
 * add), and closes when every device asked has answered or left, or at the deadline; below the query's device
 * floor it is refused and nothing is reported.
 */
export class QueryRun {
  private state: QueryRunStatus = 'pending';
  private readonly layout: AnswerLayout;
  private readonly sum: AnswerSum;
  /** Asked and neither answered nor gone. */
  private readonly waiting = new Set<string>();
  /** Asked and went offline; one that comes back before the close is asked again. */
  private readonly gone = new Set<string>();
  private readonly answered = new Set<string>();
  private asked = 0;
  private deadline = 0;
  private refusedAnswers = 0;

  constructor(private readonly init: QueryRunInit) {
    this.layout = answerLayout(init.query, init.context);
    this.sum = new AnswerSum(this.layout.length);
  }

  get status(): QueryRunStatus {
    return this.state;
  }

  /** Answers refused so far (wrong length, out of bounds): a sign of a broken or dishonest device. */
  get rejected(): number {
    return this.refusedAnswers;
  }

  /** Asks every device online now; with fewer online than the floor it is refused at once. */
  start(online: readonly string[], now: number): QueryEffect[] {
    if (this.state !== 'pending') return [];
    const { minDevices } = this.init.query.privacy;
    if (online.length < minDevices) {
      const are = online.length === 1 ? '1 device is' : `${online.length} devices are`;
      return this.refuse(
        `only ${are} online and the query needs answers from at least ${minDevices} (its minDevices), so it was not asked. Ask again when more devices are online, or lower minDevices.`,
        now,
      );
    }
    const deviceIds = [...new Set(online)].sort();
    for (const id of deviceIds) this.waiting.add(id);
    this.asked = deviceIds.length;
    this.deadline = now + this.init.query.deadlineMs;
    this.state = 'running';
    return [{ type: 'askDevices', queryId: this.init.queryId, deviceIds, deadline: this.deadline }];
  }

  /** A device (re)connected: one that was asked and left without answering is asked again. */
  deviceOnline(deviceId: string): QueryEffect[] {
    if (this.state !== 'running' || !this.gone.delete(deviceId)) return [];
    this.waiting.add(deviceId);
    return [{ type: 'askDevices', queryId: this.init.queryId, deviceIds: [deviceId], deadline: this.deadline }];
  }

  deviceOffline(deviceId: string, now: number): QueryEffect[] {
    if (this.state !== 'running' || !this.waiting.delete(deviceId)) return [];
    this.gone.add(deviceId);
    return this.closeIfNoneWaiting(now);
  }

  answer(deviceId: string, answer: ArrayLike<number>, now: number): { result: AnswerAccepted; effects: QueryEffect[] } {
    if (this.state !== 'running')
      return refused(`query ${this.init.queryId} is ${this.state === 'pending' ? 'not asked yet' : 'closed'}: the answer was not counted`);
    if (this.answered.has(deviceId)) return { result: { ok: true, duplicate: true }, effects: [] };
    if (!this.waiting.has(deviceId) && !this.gone.has(deviceId)) return refused(`this device was not asked query ${this.init.queryId}`);
    const problem = answerProblem(this.layout, answer);
    if (problem) {
      this.refusedAnswers++;
      return refused(`the answer to query ${this.init.queryId} was refused: ${problem}`);
    }
    this.sum.add(answer);
    this.answered.add(deviceId);
    this.waiting.delete(deviceId);
    this.gone.delete(deviceId);
    return { result: { ok: true, duplicate: false }, effects: this.closeIfNoneWaiting(now) };
  }

  tick(now: number): QueryEffect[] {
    if (this.state !== 'running' || now < this.deadline) return [];
    return this.close('deadline', now);
  }

  /** Every device still connected answered: close, unless those that left could yet lift it to the floor (then the deadline decides). */
  private closeIfNoneWaiting(now: number): QueryEffect[] {
    if (this.waiting.size > 0) return [];
    if (this.gone.size > 0 && this.answered.size < this.init.query.privacy.minDevices) return [];
    return this.close('all-answered', now);
  }

  private close(closedBy: 'all-answered' | 'deadline', now: number): QueryEffect[] {
    const outcome = finishQuery(this.init.query, this.init.context, this.sum, this.init.random);
    const hint = closedBy === 'deadline' && this.waiting.size > 0 ? lateScoringHint(this.init.query) : null;
    if (!outcome.ok) return this.refuse(hint ? `${outcome.reason} ${hint}` : outcome.reason, now);
    this.state = 'done';
    const { queryId } = this.init;
    return [{ type: 'queryDone', queryId, result: outcome.result, asked: this.asked, answered: this.answered.size, closedBy, at: now }];
  }

  private refuse(reason: string, now: number): QueryEffect[] {
    this.state = 'refused';
    return [{ type: 'queryRefused', queryId: this.init.queryId, reason, asked: this.asked, answered: this.answered.size, at: now }];
  }
}

function refused(reason: string): { result: AnswerAccepted; effects: QueryEffect[] } {
  return { result: { ok: false, reason }, effects: [] };
}
