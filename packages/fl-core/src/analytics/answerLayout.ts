import type { AnalyticsQuery, ColumnStatsColumn } from './query.ts';
import { examplesCap, type QueryContext } from './queryContext.ts';

/**
 * A run of an answer vector with one meaning (label counts, column sums): its coordinates' bounds in one device's
 * answer, and `l1`, the most one device's answer can hold in it, summed over its coordinates: the group's
 * sensitivity, which sizes the DP noise and which the coordinator checks every answer against.
 */
export interface AnswerGroup {
  name: string;
  start: number;
  length: number;
  integer: boolean;
  l1: number;
}

/** Where everything sits in a query's answer vector, and the bounds one device's answer must keep. */
export interface AnswerLayout {
  length: number;
  groups: AnswerGroup[];
  /** Per coordinate: the least and most one device may answer. */
  low: Float64Array;
  high: Float64Array;
}

/** The centre of a column's range: values are summed as offsets from it, which keeps the sums of squares small and exact. */
export function columnCentre(c: Pick<ColumnStatsColumn, 'low' | 'high'>): number {
  return (c.low + c.high) / 2;
}

/** Slots of a column's histogram: below low, `bins` equal ranges, above high. */
export function columnSlots(c: Pick<ColumnStatsColumn, 'bins'>): number {
  return c.bins + 2;
}

/** Slots of a quantiles histogram: below the first edge, one per pair of edges, above the last. */
export function quantileSlots(edges: readonly number[]): number {
  return edges.length + 1;
}

class LayoutBuilder {
  private readonly groups: AnswerGroup[] = [];
  private readonly low: number[] = [];
  private readonly high: number[] = [];

  /** A group whose coordinate i lies in [low[i], high[i]]. */
  add(name: string, integer: boolean, l1: number, low: readonly number[], high: readonly number[]): this {
    this.groups.push({ name, start: this.low.length, length: low.length, integer, l1 });
    this.low.push(...low);
    this.high.push(...high);
    return this;
  }

  counts(name: string, length: number, cap: number, l1 = cap): this {
    return this.add(name, true, l1, new Array<number>(length).fill(0), new Array<number>(length).fill(cap));
  }

  build(): AnswerLayout {
    return { length: this.low.length, groups: this.groups, low: Float64Array.from(this.low), high: Float64Array.from(this.high) };
  }
}

/** The answer vector of `query`: the same length for every device, so answers add up (and can be summed securely). */
export function answerLayout(query: AnalyticsQuery, context: QueryContext): AnswerLayout {
  const cap = examplesCap(query, context);
  const classes = context.classes.length;
  const layout = new LayoutBuilder();
  switch (query.kind) {
    case 'label-histogram':
      return layout.counts('counts', classes, cap).build();
    case 'confusion-matrix':
      return layout.counts('counts', classes * classes, cap).build();
    case 'quantiles':
      return layout.counts('bins', quantileSlots(query.edges), cap).build();
    case 'frequent-values': {
      const values = frequentValueCount(query, context);
      return layout.counts('counts', values, cap).counts('holders', values, 1, Math.min(values, cap)).build();
    }
    case 'column-stats': {
      const half = query.columns.map((c) => (c.high - c.low) / 2);
      const total = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
      const squares = half.map((h) => h * h);
      const slots = total(query.columns.map(columnSlots));
      return layout
        .counts('count', 1, cap)
        .add(
          'sums',
          false,
          cap * total(half),
          half.map((h) => -cap * h),
          half.map((h) => cap * h),
        )
        .add(
          'squares',
          false,
          cap * total(squares),
          new Array<number>(squares.length).fill(0),
          squares.map((s) => cap * s),
        )
        .counts('bins', slots, cap, cap * query.columns.length)
        .build();
    }
  }
}

/** How many values a frequent-values query counts: those listed, or every class (a feature column always lists its codes, queryProblem sees to it). */
export function frequentValueCount(query: Extract<AnalyticsQuery, { kind: 'frequent-values' }>, context: QueryContext): number {
  return query.values?.length ?? context.classes.length;
}

/** Why one device's answer cannot be counted (wrong length, not a number, out of bounds, more than one device can add), or null. */
export function answerProblem(layout: AnswerLayout, answer: ArrayLike<number>): string | null {
  if (answer.length !== layout.length) return `the answer holds ${answer.length} numbers, the query asks for ${layout.length}`;
  for (const group of layout.groups) {
    let l1 = 0;
    for (let i = group.start; i < group.start + group.length; i++) {
      const v = answer[i]!;
      if (!Number.isFinite(v)) return `number ${i + 1} of the answer (${group.name}) is not a finite number`;
      if (group.integer && !Number.isInteger(v)) return `number ${i + 1} of the answer (${group.name}) is ${v}, not a whole count`;
      if (v < layout.low[i]! || v > layout.high[i]!)
        return `number ${i + 1} of the answer (${group.name}) is ${v}, outside ${layout.low[i]} to ${layout.high[i]}`;
      l1 += Math.abs(v);
    }
    // A float sum may land a hair above its bound; a real excess is a whole example or more.
    if (l1 > group.l1 * (1 + 1e-9)) return `the answer's ${group.name} add up to ${l1}, more than one device may contribute (${group.l1})`;
  }
  return null;
}
