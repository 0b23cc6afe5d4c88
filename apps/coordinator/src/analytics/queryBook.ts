import { describeAnswer, type AnalyticsQuery, type QueryContext, type QueryResult } from '@flock/fl-core/analytics';
import type { QueryEffect } from './queryRun.ts';

export type QueryStatus = 'queued' | 'running' | 'done' | 'refused';

/** A query as the REST API shows it. */
export interface QueryRecord {
  id: string;
  federationId: string;
  query: AnalyticsQuery;
  status: QueryStatus;
  /** What each device asked sends, in words (describeAnswer): shown beside the result and on the device page. */
  whatLeaves: string;
  submittedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** Devices asked, and those whose answers are in the result. */
  asked: number;
  answered: number;
  result: QueryResult | null;
  /** Why it was refused (too few devices, ...); null otherwise. */
  reason: string | null;
}

export type Submitted = { ok: true; record: QueryRecord } | { ok: false; reason: string };

export interface QueryBookOptions {
  /** Finished queries kept per federation; the oldest go first. */
  keepFinished?: number;
  /** Queries waiting per federation before new ones are refused. */
  maxQueued?: number;
}

/**
 * Every federation's queries, in memory: ids, status (queued, running, done, refused) and results for the REST
 * API. The runtime takes the oldest queued one (nextQueued), runs it (QueryRun) and hands its effects to apply().
 */
export class QueryBook {
  private readonly byFederation = new Map<string, QueryRecord[]>();
  private issued = 0;
  private readonly keepFinished: number;
  private readonly maxQueued: number;

  constructor(options: QueryBookOptions = {}) {
    this.keepFinished = options.keepFinished ?? 100;
    this.maxQueued = options.maxQueued ?? 20;
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
    if (!record) return;
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
    this.forgetOldFinished(federationId);
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
