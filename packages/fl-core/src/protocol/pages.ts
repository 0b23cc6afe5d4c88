import { z } from 'zod';
import { FederationSummary, RoundRecord } from './dashboard.ts';
import { DeviceState } from './device.ts';

/** One page of a console table: `total` counts every row matching the filter, `nextCursor` is null on the last page. */
export interface Page<T> {
  items: T[];
  total: number;
  nextCursor: string | null;
}

export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), total: z.number().int().nonnegative(), nextCursor: z.string().nullable() });
}

export const MAX_PAGE_LIMIT = 100;
export const DEFAULT_PAGE_LIMIT = 50;

/** A whole number in a query string; every way it can be wrong gets the same sentence. */
function wholeNumber(words: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  const error = `${words} is a whole number from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ''}`;
  return z.coerce.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}

/** What every paged route takes; `paged=true` selects the page answer (without it the routes keep their full lists). */
export const PageQuery = z.object({
  paged: z.literal('true', { error: 'add paged=true for one page, or leave out the paging parameters' }),
  limit: wholeNumber(`the limit (rows per page)`, 1, MAX_PAGE_LIMIT).default(DEFAULT_PAGE_LIMIT),
  cursor: z.string().max(500, { error: 'the cursor is too long: use the nextCursor of the previous page' }).optional(),
  filter: z.string().max(200, { error: 'the filter text is at most 200 characters' }).optional(),
});
export type PageQuery = z.infer<typeof PageQuery>;

/** `sort=field` ascending or `sort=-field` descending, over the fields a route lists. */
export function sortParam<F extends string>(fields: readonly [F, ...F[]]) {
  return z
    .string()
    .regex(new RegExp(`^-?(${fields.join('|')})$`), { error: `sort by one of ${fields.join(', ')} (a leading "-" sorts descending)` })
    .transform((s) => ({ field: s.replace(/^-/, '') as F, descending: s.startsWith('-') }));
}

export const DEVICE_SORT_FIELDS = ['id', 'lastSeen', 'examples', 'rounds', 'state'] as const;
export const DevicesPageQuery = PageQuery.extend({
  sort: sortParam(DEVICE_SORT_FIELDS).default({ field: 'lastSeen', descending: true }),
  state: DeviceState.optional(),
  connected: z.enum(['true', 'false'], { error: 'connected is true or false' }).optional(),
}).strict();

export const ROUND_SORT_FIELDS = ['round', 'accuracy', 'loss', 'trainAccuracy', 'durationMs', 'bytesUp', 'bytesDown', 'participants', 'completedAt'] as const;
export const RoundsPageQuery = PageQuery.extend({
  sort: sortParam(ROUND_SORT_FIELDS).default({ field: 'round', descending: true }),
  closedBy: z.enum(['all-answered', 'deadline', 'buffer-full'], { error: 'closedBy is all-answered, deadline or buffer-full' }).optional(),
}).strict();

export const DEVICE_BYTES_SORT_FIELDS = ['round', 'deviceId', 'bytesUp', 'bytesDown'] as const;
export const DeviceBytesPageQuery = PageQuery.extend({
  sort: sortParam(DEVICE_BYTES_SORT_FIELDS).default({ field: 'round', descending: true }),
  round: wholeNumber('the round', 1).optional(),
}).strict();

/** The accuracy/loss/bytes charts: every round up to maxPoints, else evenly bucketed. */
export const MAX_SERIES_POINTS = 2_000;
export const RoundSeriesQuery = z
  .object({
    maxPoints: wholeNumber('maxPoints', 1, MAX_SERIES_POINTS).default(500),
  })
  .strict();

export const RoundSeriesPoint = z.object({
  /** The last round of the point's bucket. */
  round: z.number().int(),
  accuracy: z.number().nullable(),
  loss: z.number().nullable(),
  trainingAccuracy: z.number().nullable(),
  trainingLoss: z.number().nullable(),
  participants: z.number(),
  bytesUp: z.number(),
  bytesDown: z.number(),
  /** Called-off attempts' traffic, summed like the bytes (0 for rounds stored before it was recorded). */
  abandonedBytesUp: z.number(),
  abandonedBytesDown: z.number(),
  durationMs: z.number(),
  epsilon: z.number().nullable(),
});
export type RoundSeriesPoint = z.infer<typeof RoundSeriesPoint>;
export const RoundSeries = z.object({ rounds: z.number().int(), points: z.array(RoundSeriesPoint) });
export type RoundSeries = z.infer<typeof RoundSeries>;

/**
 * What the console's live feed sends on every change (subscribe with `console: true`): counts and the
 * last round only, never a list that grows with the federation; the open view refetches its page.
 */
export const ConsoleSnapshot = z.object({
  federation: FederationSummary,
  deviceCounts: z.object({ total: z.number().int(), online: z.number().int(), training: z.number().int() }),
  lastRound: RoundRecord.nullable(),
});
export type ConsoleSnapshot = z.infer<typeof ConsoleSnapshot>;
