import { AnalyticsQuery, type AnalyticsQueryInput, type QueryResult } from '@flock/fl-core/analytics';
import { z } from 'zod';
import { adminCall, type ApiResult } from './adminApi.ts';

const NoiseReport = z.object({
  mechanism: z.literal('laplace'),
  epsilon: z.number(),
  noiseBound: z.record(z.string(), z.number()),
  failureProbability: z.number(),
});
const BinRange = z.object({ from: z.number().nullable(), to: z.number().nullable() });
const common = { devices: z.number(), noise: NoiseReport.optional() };

const QueryResultReply = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('label-histogram'), classes: z.array(z.string()), counts: z.array(z.number()), ...common }),
  z.object({
    kind: z.literal('confusion-matrix'),
    classes: z.array(z.string()),
    matrix: z.array(z.array(z.number())),
    accuracy: z.number().nullable(),
    ...common,
  }),
  z.object({
    kind: z.literal('column-stats'),
    count: z.number(),
    columns: z.array(
      z.object({
        name: z.string(),
        mean: z.number().nullable(),
        variance: z.number().nullable(),
        bins: z.array(z.number()),
        min: BinRange.nullable(),
        max: BinRange.nullable(),
      }),
    ),
    ...common,
  }),
  z.object({
    kind: z.literal('quantiles'),
    column: z.string(),
    count: z.number(),
    bins: z.array(z.number()),
    quantiles: z.array(z.object({ q: z.number(), value: z.number().nullable(), where: z.enum(['within', 'below', 'above']) })),
    ...common,
  }),
  z.object({
    kind: z.literal('frequent-values'),
    column: z.string(),
    k: z.number(),
    values: z.array(z.object({ value: z.union([z.string(), z.number()]), count: z.number(), devices: z.number() })),
    ...common,
  }),
]);

// The reply schema must read back exactly the result fl-core computes: this line stops compiling when they part.
const _sameResult: (reply: z.infer<typeof QueryResultReply>) => QueryResult = (reply) => reply;
void _sameResult;

/** A query as `GET /api/federations/:id/queries` shows it (the coordinator's QueryRecord). */
export const QueryRecord = z.object({
  id: z.string(),
  federationId: z.string(),
  query: AnalyticsQuery,
  status: z.enum(['queued', 'running', 'done', 'refused']),
  whatLeaves: z.string(),
  submittedAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  asked: z.number(),
  answered: z.number(),
  result: QueryResultReply.nullable(),
  reason: z.string().nullable(),
});
export type QueryRecord = z.infer<typeof QueryRecord>;

const queriesPath = (federationId: string) => `/api/federations/${encodeURIComponent(federationId)}/queries`;

/** The federation's queries, newest first (viewers may read them). */
export function listQueries(token: string, federationId: string): Promise<ApiResult<QueryRecord[]>> {
  return adminCall(token, 'GET', queriesPath(federationId), QueryRecord.array());
}

/** Queues a query (admins only); a refusal carries the coordinator's reason (a bad field, too many waiting). */
export function submitQuery(token: string, federationId: string, query: AnalyticsQueryInput): Promise<ApiResult<QueryRecord>> {
  return adminCall(token, 'POST', queriesPath(federationId), QueryRecord, query);
}
