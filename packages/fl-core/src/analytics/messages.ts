import { z } from 'zod';
import { ModelDownload } from '../protocol/chunkedDownloadMessages.ts';
import { ModelRef } from '../protocol/device.ts';
import { AnalyticsQuery } from './query.ts';
import type { QueryContext } from './queryContext.ts';

export const QueryId = z.string().regex(/^q[0-9]{1,15}$/, { error: 'a query id is q and a number' });

/** The federation's QueryContext, sent with the query so a device reads its examples as the coordinator sums them. */
export const QueryContextMessage = z.object({
  classes: z.array(z.string()).min(2).max(255),
  columns: z.array(z.string()).max(10_000).nullable(),
  labelColumn: z.string().nullable(),
  maxExamplesPerDevice: z.number().int().positive(),
}) satisfies z.ZodType<QueryContext>;

/**
 * The global model a confusion-matrix query scores, fixed when the query starts: the one round `round` trains from (the
 * model after `round` − 1 rounds), named by that round as round:start names it. The device pulls its bytes with
 * model:chunk (as a large round:start model), unless it holds bytes with the same hash.
 */
export const QueryModel = z.object({ round: z.number().int().min(1), model: ModelRef, download: ModelDownload });
export type QueryModel = z.infer<typeof QueryModel>;

/** Coordinator to device (`query:ask`): answer `query` by `deadline` (ms since the epoch); `whatLeaves` is shown to the person. */
export const QueryAskMessage = z.object({
  queryId: QueryId,
  query: AnalyticsQuery,
  context: QueryContextMessage,
  deadline: z.number().int().nonnegative(),
  whatLeaves: z.string().max(4_000),
  /** Present when the federation aggregates securely: the device encodes its answer with encodeForSecureSum at these levels and sends it masked. */
  secureSumLevels: z.number().int().positive().max(4_294_967_295).optional(),
  /** Present for a confusion matrix: the model whose predictions are counted. */
  model: QueryModel.optional(),
});
export type QueryAskMessage = z.infer<typeof QueryAskMessage>;

/**
 * Device to coordinator (`query:answer`): the device's answer vector (deviceAnswer / confusionAnswer), in the
 * clear; a federation with secure aggregation sends it masked through the secure-sum stages instead. Its length
 * and bounds are checked against the query (answerProblem), which the coordinator holds, not the message.
 */
export const QueryAnswerMessage = z.object({
  queryId: QueryId,
  answer: z.array(z.number()).max(1_000_000),
});
export type QueryAnswerMessage = z.infer<typeof QueryAnswerMessage>;
