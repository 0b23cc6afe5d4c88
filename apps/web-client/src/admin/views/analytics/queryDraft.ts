import {
  DEFAULT_MIN_DEVICES,
  defaultDeadlineMs,
  parseQuery,
  type AnalyticsQueryInput,
  type ParsedQuery,
  type QueryContext,
  type QueryKind,
} from '@flock/fl-core/analytics';

export interface StatsColumnDraft {
  name: string;
  low: string;
  high: string;
  bins: string;
}

/** The Data view's form as a person fills it in: every field as typed, read into a query by draftQuery. */
export interface QueryDraft {
  kind: QueryKind;
  minDevices: string;
  /** Empty: no differential privacy. */
  epsilon: string;
  /** Empty: the federation's maxExamplesPerDevice. */
  examplesPerDevice: string;
  /** Empty: the kind's default (defaultDeadlineMs: longer for a confusion matrix, whose devices run the model). */
  deadlineSeconds: string;
  statsColumns: StatsColumnDraft[];
  /** The quantiles' column. */
  column: string;
  edges: string;
  quantiles: string;
  /** Empty: the label. */
  frequentColumn: string;
  values: string;
  k: string;
}

export const KIND_TITLES: Record<QueryKind, string> = {
  'label-histogram': 'Label histogram',
  'column-stats': 'Column statistics',
  quantiles: 'Quantiles',
  'confusion-matrix': 'Confusion matrix',
  'frequent-values': 'Frequent values',
};

export const KIND_HINTS: Record<QueryKind, string> = {
  'label-histogram': 'How many examples carry each label, pooled over the devices.',
  'column-stats': 'Count, mean and standard deviation of CSV columns clipped to a range, and how the values spread over equal bins.',
  quantiles: "Quantiles of one CSV column, read off the devices' pooled histogram over the bin edges (exact to a bin's width).",
  'confusion-matrix': "The current global model's predictions against the true labels on the devices' examples, with each class's recall.",
  'frequent-values': 'How often each value occurs, shown only for values that at least k devices hold.',
};

/** The kinds this federation's data can answer: the column kinds need CSV columns. */
export function kindsFor(context: QueryContext): QueryKind[] {
  return context.columns === null
    ? ['label-histogram', 'confusion-matrix', 'frequent-values']
    : ['label-histogram', 'column-stats', 'quantiles', 'confusion-matrix', 'frequent-values'];
}

export function initialDraft(context: QueryContext): QueryDraft {
  const first = context.columns?.[0] ?? '';
  return {
    kind: 'label-histogram',
    minDevices: String(DEFAULT_MIN_DEVICES),
    epsilon: '',
    examplesPerDevice: '',
    deadlineSeconds: '',
    statsColumns: [newStatsColumn(first)],
    column: first,
    edges: '0, 0.25, 0.5, 0.75, 1',
    quantiles: '0.25, 0.5, 0.75',
    frequentColumn: '',
    values: '',
    k: String(DEFAULT_MIN_DEVICES),
  };
}

/** The deadline a query of this kind gets when the field is left empty, in seconds as the field reads. */
export const defaultDeadlineSeconds = (kind: QueryKind): string => String(defaultDeadlineMs(kind) / 1000);

export function newStatsColumn(name: string): StatsColumnDraft {
  return { name, low: '0', high: '1', bins: '10' };
}

class DraftProblem extends Error {}

function numberOf(text: string, field: string, example: string): number {
  const value = Number(text.trim());
  if (text.trim() === '' || !Number.isFinite(value)) throw new DraftProblem(`${field}: "${text.trim()}" is not a number; enter one, e.g. ${example}.`);
  return value;
}

function numbersOf(text: string, field: string, example: string): number[] {
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0) throw new DraftProblem(`${field}: enter numbers separated by commas, e.g. ${example}.`);
  return items.map((item) => numberOf(item, field, example));
}

/**
 * The query the draft asks for, checked as the coordinator will check it (the same parseQuery), so a mistake is
 * named next to the form before anything is sent. The query comes back with its defaults filled in.
 */
export function draftQuery(draft: QueryDraft, context: QueryContext): ParsedQuery {
  let query: AnalyticsQueryInput;
  try {
    query = queryOf(draft, context);
  } catch (err) {
    if (err instanceof DraftProblem) return { ok: false, reason: err.message };
    throw err;
  }
  return parseQuery(query, context);
}

function queryOf(draft: QueryDraft, context: QueryContext): AnalyticsQueryInput {
  const privacy = {
    minDevices: numberOf(draft.minDevices, 'fewest devices', '5'),
    ...(draft.epsilon.trim() === '' ? {} : { epsilon: numberOf(draft.epsilon, 'ε', '1') }),
    ...(draft.examplesPerDevice.trim() === '' ? {} : { examplesPerDevice: numberOf(draft.examplesPerDevice, 'examples per device', '1000') }),
  };
  const deadline = draft.deadlineSeconds.trim() === '' ? {} : { deadlineMs: Math.round(numberOf(draft.deadlineSeconds, 'deadline', '30') * 1000) };
  const common = { privacy, ...deadline };
  switch (draft.kind) {
    case 'label-histogram':
    case 'confusion-matrix':
      return { kind: draft.kind, ...common };
    case 'column-stats':
      return {
        kind: draft.kind,
        columns: draft.statsColumns.map((c) => ({
          name: c.name,
          low: numberOf(c.low, `${c.name} low`, '0'),
          high: numberOf(c.high, `${c.name} high`, '100'),
          bins: numberOf(c.bins, `${c.name} bins`, '10'),
        })),
        ...common,
      };
    case 'quantiles':
      return {
        kind: draft.kind,
        column: draft.column,
        edges: numbersOf(draft.edges, 'bin edges', '0, 10, 20, 30'),
        quantiles: numbersOf(draft.quantiles, 'quantiles', '0.5, 0.9'),
        ...common,
      };
    case 'frequent-values': {
      const labels = draft.frequentColumn === '' || draft.frequentColumn === context.labelColumn;
      const listed = draft.values.trim() !== '';
      const values = !listed
        ? undefined
        : labels
          ? draft.values
              .split(',')
              .map((v) => v.trim())
              .filter((v) => v !== '')
          : numbersOf(draft.values, 'values', '0, 1, 2');
      return {
        kind: draft.kind,
        ...(labels ? {} : { column: draft.frequentColumn }),
        ...(values ? { values } : {}),
        k: numberOf(draft.k, 'k', '5'),
        ...common,
      };
    }
  }
}
