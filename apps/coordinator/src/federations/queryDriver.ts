import type { Ack, ModelRef } from '@flock/fl-core';
import {
  lateScoringHint,
  queryContextOf,
  type AnalyticsQuery,
  type QueryAnswerMessage,
  type QueryAskMessage,
  type QueryContext,
} from '@flock/fl-core/analytics';
import type { SecAggAnswerMessage, SecAggRequestMessage, SecureAggregationConfig } from '@flock/fl-core/secagg';
import type { QueriesApiDeps } from '../analytics/queriesApi.ts';
import type { QueryBook, QueryRecord, Submitted } from '../analytics/queryBook.ts';
import { QueryRun, type QueryEffect } from '../analytics/queryRun.ts';
import { SecureQueryRun } from '../analytics/secureQueryRun.ts';

/** The global model a confusion-matrix query scores, whole: the transport serves it to the devices (QueryAskMessage's `model` says how to pull it). */
export interface QueryModelPayload {
  /** The round that trains from this model (rounds completed when the query started, plus one): it names the model for model:chunk, as round:start does. */
  round: number;
  model: ModelRef;
  weights: Uint8Array;
}

/** A query ask as the runtime sends it: a confusion matrix carries the model it scores, whole, which the transport turns into the message's `model`. */
export type QueryAsk = Omit<QueryAskMessage, 'model'> & { scoredModel?: QueryModelPayload };

/** What the driver needs of its federation's runtime. */
export interface QueryHooks {
  /** Sends the same query to each of these devices. */
  ask(deviceIds: string[], msg: QueryAsk): void;
  /** The global model now, which a confusion-matrix query scores from start to end (a round closing meanwhile does not change it). */
  model(): QueryModelPayload;
  record(level: 'info' | 'warn', kind: string, message: string): void;
  /** The devices online now, the ones a query asks. */
  online(): string[];
  /** The federation's query context now (it changes only when the federation is edited, which replaces the runtime). */
  context(): QueryContext;
  /** Why this federation runs no query at all (secure aggregation, several coordinators), or why this one would pass the privacy target; null when it may run. */
  refusal(query: AnalyticsQuery, spentEpsilon: number): string | null;
  changed(): void;
  /** The federation's secure aggregation, when on: its queries' answers then travel as secure sums. */
  secureAggregation(): SecureAggregationConfig | null;
  /** Sends one device its part of a secure sum's stage. */
  askSecure(deviceId: string, msg: SecAggRequestMessage): void;
  /** Work that ends after the call that started it (a secure sum's unmasking). */
  track(work: Promise<unknown>): void;
}

interface Running {
  run: QueryRun | SecureQueryRun;
  record: QueryRecord;
  context: QueryContext;
  model: QueryModelPayload | null;
}

/**
 * Runs one federation's queries, one at a time, in the order they were submitted: takes the oldest queued one
 * from the coordinator's QueryBook, asks every device online (QueryRun), feeds it the answers, the devices that
 * come and go and the time, and carries out its effects (the ask, the record's status, the event log). A query
 * shares nothing with the round engine, so a round trains while a query runs and each device answers between
 * its training steps.
 */
export class QueryDriver {
  private running: Running | null = null;

  constructor(
    private readonly federationId: string,
    private readonly book: QueryBook,
    private readonly hooks: QueryHooks,
  ) {}

  /** The ε the federation's done queries spent, in all (the book keeps it across restarts): it counts against the privacy target with training's. */
  get epsilonSpent(): number {
    return this.book.epsilonSpent(this.federationId);
  }

  /** Queues a checked query (refused at once when the federation cannot run it) and starts it if none runs. */
  submit(query: AnalyticsQuery, context: QueryContext, now: number): Submitted {
    const refusal = this.hooks.refusal(query, this.epsilonSpent);
    if (refusal) return { ok: false, reason: refusal };
    const submitted = this.book.submit(this.federationId, query, context, now);
    if (submitted.ok) this.startNext(now);
    return submitted;
  }

  answer(deviceId: string, msg: QueryAnswerMessage, now: number): Ack {
    const running = this.running;
    if (running?.record.id !== msg.queryId) {
      const known = this.book.find(this.federationId, msg.queryId);
      return { ok: false, reason: `query ${msg.queryId} is ${known ? known.status : 'unknown here'}: the answer was not counted` };
    }
    const { result, effects } = running.run.answer(deviceId, msg.answer, now);
    if (!result.ok) this.hooks.record('warn', 'query-answer-refused', result.reason);
    this.carryOut(running, effects, now);
    return result.ok ? { ok: true } : result;
  }

  deviceOnline(deviceId: string, now: number): void {
    const running = this.running;
    if (running) this.carryOut(running, running.run.deviceOnline(deviceId), now);
  }

  deviceOffline(deviceId: string, now: number): void {
    const running = this.running;
    if (running) this.carryOut(running, running.run.deviceOffline(deviceId, now), now);
  }

  tick(now: number): void {
    const running = this.running;
    if (running) this.carryOut(running, running.run.tick(now), now);
  }

  /** The runtime is replaced (the federation was edited): the query running is refused, the next one starts on the new runtime. */
  abandon(reason: string, now: number): void {
    const running = this.running;
    if (!running) return;
    this.running = null;
    const { asked } = running.record;
    this.book.apply(this.federationId, { type: 'queryRefused', queryId: running.record.id, reason, asked, answered: 0, at: now }, now);
    this.hooks.record('warn', 'query-refused', `query ${running.record.id} (${running.record.query.kind}) refused: ${reason}`);
  }

  /** Starts the oldest queued query when none runs; one refused at once (too few devices online) makes way for the next. */
  startNext(now: number): void {
    while (!this.running) {
      const next = this.book.nextQueued(this.federationId);
      if (!next) return;
      const refusal = this.hooks.refusal(next.query, this.epsilonSpent);
      const context = this.hooks.context();
      const model = !refusal && next.query.kind === 'confusion-matrix' ? this.hooks.model() : null;
      const running: Running = { run: this.newRun(next, context, () => running), record: next, context, model };
      this.running = running;
      const effects = refusal
        ? [{ type: 'queryRefused' as const, queryId: next.id, reason: refusal, asked: 0, answered: 0, at: now }]
        : running.run.start(this.hooks.online(), now);
      this.carryOut(running, effects, now);
    }
  }

  /** A device's answer to one stage of the running query's secure sum. */
  async secureAnswer(deviceId: string, msg: SecAggAnswerMessage): Promise<Ack> {
    const running = this.running;
    if (!(running?.run instanceof SecureQueryRun))
      return { ok: false, reason: 'no query of this federation is being summed securely now, so the answer was ignored' };
    const { result, effects } = await running.run.secureAnswer(deviceId, msg);
    if (!result.ok)
      this.hooks.record('warn', 'query-answer-refused', `secure-sum answer (${msg.stage}) to query ${running.record.id} refused: ${result.reason}`);
    this.carryOut(running, effects, Date.now());
    return result;
  }

  /** A plain run, or a secure sum's when the federation aggregates securely; `self` is the Running it goes into. */
  private newRun(record: QueryRecord, context: QueryContext, self: () => Running): QueryRun | SecureQueryRun {
    const init = { queryId: record.id, query: record.query, context };
    const secure = this.hooks.secureAggregation();
    if (!secure) return new QueryRun(init);
    return new SecureQueryRun(
      { ...init, federationId: this.federationId, secure },
      {
        askSecure: (deviceId, msg) => this.hooks.askSecure(deviceId, msg),
        record: (level, kind, message) => this.hooks.record(level, kind, message),
        later: (effects) => this.carryOut(self(), effects, Date.now()),
        track: (work) => this.hooks.track(work),
      },
    );
  }

  private carryOut(running: Running, effects: QueryEffect[], now: number): void {
    if (this.running !== running) return;
    const { record, context, model } = running;
    for (const e of effects.map((effect) => withScoredModel(effect, model))) {
      this.book.apply(this.federationId, e, now);
      switch (e.type) {
        case 'askDevices':
          this.hooks.ask(e.deviceIds, {
            queryId: record.id,
            query: record.query,
            context: contextMessage(context),
            deadline: e.deadline,
            whatLeaves: record.whatLeaves,
            ...(e.secureSumLevels === undefined ? {} : { secureSumLevels: e.secureSumLevels }),
            ...(model ? { scoredModel: model } : {}),
          });
          break;
        case 'queryDone': {
          this.running = null;
          this.hooks.record('info', 'query-done', queryDoneText(record, e, record.query.privacy.epsilon, this.epsilonSpent));
          break;
        }
        case 'queryRefused':
          this.running = null;
          this.hooks.record('warn', 'query-refused', `query ${record.id} (${record.query.kind}) refused: ${e.reason}`);
          break;
        default:
          return e satisfies never;
      }
    }
    if (effects.length > 0) this.hooks.changed();
    if (!this.running) this.startNext(now);
  }
}

/** A confusion matrix's result names the model it scored: the one of the rounds completed when the query started. */
function withScoredModel(effect: QueryEffect, model: QueryModelPayload | null): QueryEffect {
  if (effect.type !== 'queryDone' || effect.result.kind !== 'confusion-matrix' || !model) return effect;
  return { ...effect, result: { ...effect.result, modelRound: model.round - 1 } };
}

function contextMessage(context: QueryContext): QueryAskMessage['context'] {
  return {
    classes: [...context.classes],
    columns: context.columns && [...context.columns],
    labelColumn: context.labelColumn,
    maxExamplesPerDevice: context.maxExamplesPerDevice,
  };
}

/** "query q3 (label-histogram) answered by 37 of 40 devices asked, ε 1 (queries have spent ε 3 in all)". */
export function queryDoneText(record: QueryRecord, e: Extract<QueryEffect, { type: 'queryDone' }>, epsilon: number | undefined, spent: number): string {
  const privacy = epsilon === undefined ? 'without noise' : `ε ${epsilon} (queries have spent ε ${spent} in all)`;
  const closed = e.closedBy === 'deadline' ? ', closed at its deadline' : '';
  const secure = e.secure ? ' as a secure sum' : '';
  const hint = e.closedBy === 'deadline' && e.answered < e.asked ? lateScoringHint(record.query) : null;
  return `query ${record.id} (${record.query.kind}) answered by ${e.answered} of ${e.asked} devices asked${secure}${closed}, ${privacy}${hint ? `. ${hint}` : ''}`;
}

/** Why a query with `epsilon` would take the federation past its privacy target set to stop there; null when it would not. */
export function privacyTargetRefusal(
  privacy: { targetEpsilon?: number; onTarget: 'stop' | 'warn' } | undefined,
  trainingEpsilon: number,
  spentByQueries: number,
  epsilon: number | undefined,
): string | null {
  if (epsilon === undefined || privacy?.targetEpsilon === undefined || privacy.onTarget !== 'stop') return null;
  const after = trainingEpsilon + spentByQueries + epsilon;
  if (after <= privacy.targetEpsilon) return null;
  const spent = trainingEpsilon + spentByQueries;
  return (
    `this query's ε ${epsilon} would bring the federation's privacy spend from ${round3(spent)} to ${round3(after)}, past its target of ${privacy.targetEpsilon}. ` +
    `Ask with a smaller epsilon (at most ${round3(Math.max(0, privacy.targetEpsilon - spent))}), or raise the federation's targetEpsilon`
  );
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** The query routes' view of the coordinator: each federation's runtime submits its own queries, the book holds them all. */
export function federationQueries(
  federations: ReadonlyMap<string, { config: Parameters<typeof queryContextOf>[0]; submitQuery(query: AnalyticsQuery, context: QueryContext): Submitted }>,
  book: QueryBook,
): QueriesApiDeps {
  return {
    contextOf: (id) => {
      const runtime = federations.get(id);
      return runtime && queryContextOf(runtime.config);
    },
    submit: (id, query, context) => federations.get(id)?.submitQuery(query, context) ?? { ok: false, reason: `federation ${id} is no longer served here` },
    find: (id, queryId) => book.record(id, queryId),
    list: (id) => book.records(id),
    stored: () => book.flushed(),
  };
}
