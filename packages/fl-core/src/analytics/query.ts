import { z } from 'zod';
import { boundedNumber } from '../protocol/boundedNumber.ts';

/** Below two devices an aggregate is one device's own data. */
export const MIN_DEVICES_FLOOR = 2;
export const DEFAULT_MIN_DEVICES = 5;
export const DEFAULT_QUERY_DEADLINE_MS = 30_000;
/**
 * A confusion matrix runs the model on every example counted: about 1 ms an example on a CPU (tfjs), so a silo of
 * 60,000 needs a minute or more, besides pulling the model. A query closes as soon as every device asked answered,
 * so the longer wait costs only when a device never answers.
 */
export const DEFAULT_CONFUSION_DEADLINE_MS = 180_000;

const ColumnName = z
  .string({ error: 'enter a column name' })
  .trim()
  .min(1, { error: 'enter a column name' })
  .max(200, { error: 'a column name has at most 200 characters' });

/**
 * Who may be seen in an answer. `minDevices`: the fewest devices whose answers are summed; with fewer the query is
 * refused and nothing is reported. `epsilon`: central differential privacy, Laplace noise added to the sum, sized
 * to what one device can change it by, which `examplesPerDevice` bounds (each device counts at most that many
 * examples, a random sample of them when it holds more).
 */
export const QueryPrivacy = z
  .object({
    minDevices: boundedNumber({ min: MIN_DEVICES_FLOOR, max: 100_000, integer: true, why: 'fewer than 2 would report one device alone' }).default(
      DEFAULT_MIN_DEVICES,
    ),
    epsilon: boundedNumber({ min: 0, max: 100, exclusiveMin: true, why: 'the privacy loss this query may spend' }).optional(),
    examplesPerDevice: boundedNumber({ min: 1, max: 1_000_000, integer: true, why: 'the most examples one device counts' }).optional(),
  })
  .strict()
  .refine((p) => p.epsilon === undefined || p.examplesPerDevice !== undefined, {
    error: 'epsilon needs examplesPerDevice: the noise is sized to the most one device can add, so say how many examples each device may count (e.g. 1000)',
    path: ['examplesPerDevice'],
  });
export type QueryPrivacy = z.infer<typeof QueryPrivacy>;

/** How long the devices have to answer. */
const deadlineMs = (defaultMs: number) => boundedNumber({ min: 1_000, max: 600_000, integer: true, why: 'milliseconds, up to 10 minutes' }).default(defaultMs);

const common = {
  privacy: QueryPrivacy.default({ minDevices: DEFAULT_MIN_DEVICES }),
  deadlineMs: deadlineMs(DEFAULT_QUERY_DEADLINE_MS),
};

/** How many examples carry each label. */
export const LabelHistogramQuery = z.object({ kind: z.literal('label-histogram'), ...common }).strict();

/**
 * Per CSV column: count, mean and variance of its values clipped to [low, high], and how many fall below low, in each
 * of `bins` equal ranges, and above high (min and max are reported as the first and last of those ranges that hold any).
 */
export const ColumnStatsColumn = z
  .object({
    name: ColumnName,
    low: z.number({ error: 'enter the lowest value expected (low), a number' }),
    high: z.number({ error: 'enter the highest value expected (high), a number' }),
    bins: boundedNumber({ min: 1, max: 100, integer: true, why: 'ranges between low and high' }).default(10),
  })
  .strict()
  .refine((c) => c.low < c.high, { error: 'low must be below high', path: ['high'] });
export type ColumnStatsColumn = z.infer<typeof ColumnStatsColumn>;

export const ColumnStatsQuery = z
  .object({
    kind: z.literal('column-stats'),
    columns: z.array(ColumnStatsColumn).min(1, { error: 'name at least one column' }).max(100, { error: 'name at most 100 columns' }),
    ...common,
  })
  .strict()
  .refine((q) => new Set(q.columns.map((c) => c.name)).size === q.columns.length, { error: 'each column may be named once', path: ['columns'] });

/**
 * Quantiles of one CSV column, read off the pooled histogram over `edges` (bins [e0, e1), ..., [e(n-1), en], plus
 * below e0 and above en): exact to the width of a bin, interpolated inside it.
 */
export const QuantilesQuery = z
  .object({
    kind: z.literal('quantiles'),
    column: ColumnName,
    edges: z
      .array(z.number({ error: 'every bin edge is a number' }))
      .min(2, { error: 'give at least 2 bin edges' })
      .max(1_001, { error: 'give at most 1001 bin edges' }),
    quantiles: z
      .array(boundedNumber({ min: 0, max: 1, why: 'a quantile is a fraction, 0.5 the median' }))
      .min(1, { error: 'ask for at least one quantile, e.g. 0.5' })
      .max(99, { error: 'ask for at most 99 quantiles' }),
    ...common,
  })
  .strict()
  .refine((q) => q.edges.every((e, i) => i === 0 || e > q.edges[i - 1]!), { error: 'bin edges must rise, each above the one before', path: ['edges'] });

/** The global model's confusion matrix over the devices' held-out examples (rows: true label, columns: predicted). */
export const ConfusionMatrixQuery = z
  .object({ kind: z.literal('confusion-matrix'), ...common, deadlineMs: deadlineMs(DEFAULT_CONFUSION_DEADLINE_MS) })
  .strict();

/**
 * How often each of `values` occurs in a column, reported only for values that at least `k` devices hold. The
 * column is the label (absent, or the CSV's label column; values default to every class) or a CSV feature column
 * holding codes (values required: the codes to count).
 */
export const FrequentValuesQuery = z
  .object({
    kind: z.literal('frequent-values'),
    column: ColumnName.optional(),
    values: z
      .array(z.union([z.string().trim().min(1).max(200), z.number()], { error: 'a value is a class name or a number' }))
      .min(1, { error: 'list at least one value to count' })
      .max(1_000, { error: 'list at most 1000 values' })
      .optional(),
    k: boundedNumber({ min: MIN_DEVICES_FLOOR, max: 100_000, integer: true, why: 'the fewest devices holding a value for it to be reported' }).default(5),
    ...common,
  })
  .strict()
  .refine((q) => q.values === undefined || new Set(q.values).size === q.values.length, { error: 'each value may be listed once', path: ['values'] });

export const QUERY_KINDS = ['label-histogram', 'column-stats', 'quantiles', 'confusion-matrix', 'frequent-values'] as const;
export type QueryKind = (typeof QUERY_KINDS)[number];

/** The deadline a query of this kind gets when it names none. */
export function defaultDeadlineMs(kind: QueryKind): number {
  return kind === 'confusion-matrix' ? DEFAULT_CONFUSION_DEADLINE_MS : DEFAULT_QUERY_DEADLINE_MS;
}

export const AnalyticsQuery = z.discriminatedUnion('kind', [LabelHistogramQuery, ColumnStatsQuery, QuantilesQuery, ConfusionMatrixQuery, FrequentValuesQuery], {
  error: `kind must be one of ${QUERY_KINDS.join(', ')}`,
});
export type AnalyticsQuery = z.infer<typeof AnalyticsQuery>;
export type AnalyticsQueryInput = z.input<typeof AnalyticsQuery>;
export type QueryOf<K extends QueryKind> = Extract<AnalyticsQuery, { kind: K }>;
