import { describeAnswer, type AnalyticsQuery, type QueryContext } from '@flock/fl-core/analytics';
import { MemoryQueries } from '../storage/memory/memoryQueries.ts';
import { chargedEpsilon, queryNumber, type QueryRepository } from '../storage/store.ts';
import type { QueryRecord } from './queryRecord.ts';
import type { QueryEffect } from './queryRun.ts';

export type { QueryRecord, QueryStatus } from './queryRecord.ts';

export type Submitted = { ok: true; record: QueryRecord } | { ok: false; reason: string };

export interface QueryBookOptions {
  /** Finished queries kept per federation; the oldest go first. */
  keepFinished?: number;
  /** Queries waiting per federation before new ones are refused. */
  maxQueued?: number;
  /** A failed write of a query's record to the store is reported here. */
  onWriteError?: (err: unknown) => void;
}

/**
 * Every federation's queries: ids, status (queued, running, done, refused) and results for the REST API. Each is
 * written to the store when submitted, so its number is never given again, not even after a restart, and again
 * when it finishes, with the ε it spent: `record`/`records` read them back after a restart (one that was still
 * waiting or running then reads as refused, RESTART_REFUSAL), and `epsilonSpent` keeps charging them against the
 * federation's privacy target. The runtime takes the oldest queued one (nextQueued), runs it (QueryRun) and hands
 * its effects to apply().
 */
export class QueryBook {
  private readonly byFederation = new Map<string, QueryRecord[]>();
  private issued = 0;
  /** Each federation's ε spent by its done queries: read from the store at open, then kept in step as queries finish. */
  private readonly ledger = new Map<string, number>();
  /** The store's writes, one after another, so a query's finished record always lands after its submitted one. */
  private written: Promise<void> = Promise.resolve();
  private readonly keepFinished: number;
  private readonly maxQueued: number;
  private readonly onWriteError: (err: unknown) => void;

  constructor(
    options: QueryBookOptions = {},
    private readonly stored: QueryRepository = new MemoryQueries(),
  ) {
    this.keepFinished = options.keepFinished ?? 100;
    this.maxQueued = options.maxQueued ?? 20;
    this.onWriteError =
      options.onWriteError ??
      ((err) => {
        throw err;
      });
  }

  /** A book over the queries a store kept: new ids follow the stored ones, and the ε they spent is charged from the start. */
  static async open(stored: QueryRepository, options: QueryBookOptions = {}): Promise<QueryBook> {
    const book = new QueryBook(options, stored);
    book.issued = await stored.lastNumber();
    for (const [federationId, epsilon] of await stored.epsilonSpent()) book.ledger.set(federationId, epsilon);
    return book;
  }

  /** The ε the federation's done queries spent, in all (kept across restarts). */
  epsilonSpent(federationId: string): number {
    return this.ledger.get(federationId) ?? 0;
  }

  /** A query held here or, finished, in the store. */
  async record(federationId: string, queryId: string): Promise<QueryRecord | undefined> {
    const held = this.find(federationId, queryId);
    if (held) return held;
    const stored = await this.stored.find(federationId, queryId);
    return stored ? asRestarted(stored) : undefined;
  }

  /** The queries held here and the newest finished ones in the store, newest first. */
  async records(federationId: string): Promise<QueryRecord[]> {
    const held = this.list(federationId);
    const ids = new Set(held.map((r) => r.id));
    const finished = (await this.stored.list(federationId, this.keepFinished)).filter((r) => !ids.has(r.id)).map(asRestarted);
    return [...held, ...finished].sort((a, b) => queryNumber(b.id) - queryNumber(a.id));
  }

  /** Resolves once every record handed to the store so far is written (or its failure reported). */
  async flushed(): Promise<void> {
    await this.written;
  }

  submit(federationId: string, query: AnalyticsQuery, context: QueryContext, now: number): Submitted {
    const records = this.recordsOf(federationId);
    const queued = records.filter((r) => r.status === 'queued').length;
    if (queued >= this.maxQueued) {
      return { ok: false, reason: `${queued} queries are already waiting on federation ${federationId}: ask again once some have finished` };
    }
    const record: QueryRecord = {
      id: `q${++this.issued}`,
      federationId,
      query,
      status: 'queued',
      whatLeaves: describeAnswer(query, context),
      submittedAt: new Date(now).toISOString(),
      startedAt: null,
      finishedAt: null,
      asked: 0,
      answered: 0,
      result: null,
      reason: null,
    };
    records.push(record);
    this.write(record);
    return { ok: true, record };
  }

  find(federationId: string, queryId: string): QueryRecord | undefined {
    return this.byFederation.get(federationId)?.find((r) => r.id === queryId);
  }

  /** Newest first. */
  list(federationId: string): QueryRecord[] {
    return [...(this.byFederation.get(federationId) ?? [])].reverse();
  }

  /** The oldest query waiting, when none of the federation's is running: the one to start next. */
  nextQueued(federationId: string): QueryRecord | undefined {
    const records = this.byFederation.get(federationId) ?? [];
    if (records.some((r) => r.status === 'running')) return undefined;
    return records.find((r) => r.status === 'queued');
  }

  /** A query run's effect, as its record shows it: asked (running), done with its result, or refused with the reason. */
  apply(federationId: string, effect: QueryEffect, now: number): void {
    const record = this.find(federationId, effect.queryId);
    // A finished query stays as it finished: its record is stored and its ε charged once.
    if (!record || record.status === 'done' || record.status === 'refused') return;
    switch (effect.type) {
      case 'askDevices':
        if (record.status === 'queued') Object.assign(record, { status: 'running', startedAt: new Date(now).toISOString(), asked: effect.deviceIds.length });
        return;
      case 'queryDone':
        Object.assign(record, {
          status: 'done',
          result: effect.result,
          asked: effect.asked,
          answered: effect.answered,
          finishedAt: new Date(effect.at).toISOString(),
        });
        break;
      case 'queryRefused':
        Object.assign(record, {
          status: 'refused',
          reason: effect.reason,
          asked: effect.asked,
          answered: effect.answered,
          finishedAt: new Date(effect.at).toISOString(),
        });
        break;
    }
    const epsilon = chargedEpsilon(record);
    if (epsilon !== null) this.ledger.set(federationId, this.epsilonSpent(federationId) + epsilon);
    this.write(record);
    this.forgetOldFinished(federationId);
  }

  /** Stores the record as it is now (a copy: the held one changes as the query runs). */
  private write(record: QueryRecord): void {
    const snapshot = { ...record };
    const write = this.written.then(() => this.stored.save(snapshot)).catch(this.onWriteError);
    this.written = write.catch(() => undefined);
  }

  private recordsOf(federationId: string): QueryRecord[] {
    let records = this.byFederation.get(federationId);
    if (!records) this.byFederation.set(federationId, (records = []));
    return records;
  }

  private forgetOldFinished(federationId: string): void {
    const records = this.recordsOf(federationId);
    const finished = records.filter((r) => r.status === 'done' || r.status === 'refused');
    const forget = new Set(finished.slice(0, Math.max(0, finished.length - this.keepFinished)));
    if (forget.size > 0)
      this.byFederation.set(
        federationId,
        records.filter((r) => !forget.has(r)),
      );
  }
}

export const RESTART_REFUSAL = 'the coordinator restarted before this query finished, so nothing was reported and no ε was spent: ask it again';

/** A stored query that was still waiting or running when its coordinator stopped: no result will come, so it reads as refused. */
function asRestarted(record: QueryRecord): QueryRecord {
  return record.status === 'queued' || record.status === 'running' ? { ...record, status: 'refused', reason: RESTART_REFUSAL } : record;
}
