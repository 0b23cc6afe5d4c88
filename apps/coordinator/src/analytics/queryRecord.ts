import type { AnalyticsQuery, QueryResult } from '@flock/fl-core/analytics';

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
