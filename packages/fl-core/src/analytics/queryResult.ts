import { secureRandom } from '../data/random.ts';
import { answerLayout, columnCentre, columnSlots, type AnswerLayout } from './answerLayout.ts';
import type { AnswerSum } from './answerSum.ts';
import { noisedSum, type NoiseReport } from './laplaceNoise.ts';
import type { AnalyticsQuery, QueryOf, QueryPrivacy } from './query.ts';
import { countsLabels, type QueryContext } from './queryContext.ts';

/** A range of a histogram: null ends are open (below the lowest edge, above the highest). */
export interface BinRange {
  from: number | null;
  to: number | null;
}

export interface ColumnSummary {
  name: string;
  /** Of the values clipped to [low, high]; null when no value was counted. */
  mean: number | null;
  /** Population variance (divided by the count) of the clipped values. */
  variance: number | null;
  /** Counts below low, in each of the equal ranges, above high. */
  bins: number[];
  /** The lowest and highest ranges holding any value (beyond the noise, with DP): where min and max lie. */
  min: BinRange | null;
  max: BinRange | null;
}

export interface QuantileValue {
  q: number;
  /** Interpolated inside its bin; the lowest or highest edge when the quantile lies beyond them (`where`); null with no values. */
  value: number | null;
  where: 'within' | 'below' | 'above';
}

export interface FrequentValue {
  value: string | number;
  count: number;
  /** How many devices hold it: at least the query's k. */
  devices: number;
}

interface Common {
  /** Devices whose answers are summed. */
  devices: number;
  /** Present when the query asked for central DP: every number here is noised. */
  noise?: NoiseReport;
}

export type QueryResult = Common &
  (
    | { kind: 'label-histogram'; classes: string[]; counts: number[] }
    | {
        kind: 'confusion-matrix';
        classes: string[];
        matrix: number[][];
        accuracy: number | null;
        /** The global model it scored: the one made by this many completed rounds (0: the initial model), as the query started. Set by the coordinator, which chose the model. */
        modelRound?: number;
      }
    | { kind: 'column-stats'; count: number; columns: ColumnSummary[] }
    | { kind: 'quantiles'; column: string; count: number; bins: number[]; quantiles: QuantileValue[] }
    | { kind: 'frequent-values'; column: string; k: number; values: FrequentValue[] }
  );

/** Why nothing may be reported from this many devices' answers, or null when enough answered. */
export function floorProblem(privacy: Pick<QueryPrivacy, 'minDevices'>, devices: number): string | null {
  if (devices >= privacy.minDevices) return null;
  const answered = devices === 1 ? 'only 1 device answered' : `only ${devices} devices answered`;
  return `${answered} and the query needs at least ${privacy.minDevices} (its minDevices), so nothing is reported: with fewer, an answer could single out a device. Ask again when more devices are online, or lower minDevices.`;
}

/**
 * What to do when devices asked for a confusion matrix did not answer by the deadline: they may still have been
 * running the model over their examples. Null for the other kinds, whose devices only count.
 */
export function lateScoringHint(query: Pick<AnalyticsQuery, 'kind'>): string | null {
  if (query.kind !== 'confusion-matrix') return null;
  return "Devices that did not answer by the deadline may still have been running the model over their examples (about 1 ms an example on a CPU): set examplesPerDevice to score a sample of each device's examples, or give a longer deadlineMs.";
}

export type QueryOutcome = { ok: true; result: QueryResult } | { ok: false; reason: string };

/**
 * The result of the answers summed in `sum` (an AnswerSum, or a secure sum decoded by decodeSecureSum): refused
 * below the device floor, noised when the query asks for DP.
 */
export function finishQuery(
  query: AnalyticsQuery,
  context: QueryContext,
  sum: Pick<AnswerSum, 'sum' | 'devices'>,
  random: () => number = secureRandom(),
): QueryOutcome {
  const problem = floorProblem(query.privacy, sum.devices);
  if (problem) return { ok: false, reason: problem };
  const layout = answerLayout(query, context);
  const { epsilon } = query.privacy;
  if (epsilon === undefined) return { ok: true, result: queryResult(query, context, layout, sum.sum, sum.devices) };
  const { values, noise } = noisedSum(sum.sum, layout, epsilon, random);
  return { ok: true, result: queryResult(query, context, layout, values, sum.devices, noise) };
}

/** The summed answer vector (noised or not) read as the query's result. Counts below 0 (noise) are shown as 0. */
export function queryResult(
  query: AnalyticsQuery,
  context: QueryContext,
  layout: AnswerLayout,
  summed: Float64Array,
  devices: number,
  noise?: NoiseReport,
): QueryResult {
  const common: Common = { devices, ...(noise ? { noise } : {}) };
  const group = (name: string): number[] => {
    const g = layout.groups.find((x) => x.name === name)!;
    const values = Array.from(summed.subarray(g.start, g.start + g.length));
    return g.integer ? values.map((v) => Math.max(0, v)) : values;
  };
  switch (query.kind) {
    case 'label-histogram':
      return { kind: query.kind, classes: [...context.classes], counts: group('counts'), ...common };
    case 'confusion-matrix': {
      const n = context.classes.length;
      const counts = group('counts');
      const matrix = Array.from({ length: n }, (_, t) => counts.slice(t * n, (t + 1) * n));
      const total = counts.reduce((a, b) => a + b, 0);
      const correct = matrix.reduce((a, row, t) => a + row[t]!, 0);
      return { kind: query.kind, classes: [...context.classes], matrix, accuracy: total > 0 ? correct / total : null, ...common };
    }
    case 'quantiles': {
      const bins = group('bins');
      const count = bins.reduce((a, b) => a + b, 0);
      return { kind: query.kind, column: query.column, count, bins, quantiles: query.quantiles.map((q) => quantileOf(q, bins, query.edges)), ...common };
    }
    case 'frequent-values':
      return frequentValuesResult(query, context, group('counts'), group('holders'), common);
    case 'column-stats':
      return columnStatsResult(query, group('count')[0]!, group('sums'), group('squares'), group('bins'), common);
  }
}

/** The q-quantile of a histogram over `edges` (slots: below, the bins, above), linear inside its bin. */
export function quantileOf(q: number, bins: readonly number[], edges: readonly number[]): QuantileValue {
  const total = bins.reduce((a, b) => a + b, 0);
  if (total <= 0) return { q, value: null, where: 'within' };
  const target = q * total;
  let below = 0;
  let slot = bins.findIndex((c) => c > 0); // q = 0: the first slot holding anything
  for (let s = 0; s < bins.length; s++) {
    if (bins[s]! > 0 && below + bins[s]! >= target) {
      slot = s;
      break;
    }
    below += bins[s]!;
  }
  if (slot === 0) return { q, value: edges[0]!, where: 'below' };
  if (slot === bins.length - 1) return { q, value: edges.at(-1)!, where: 'above' };
  const [from, to] = [edges[slot - 1]!, edges[slot]!];
  const inside = Math.min(1, Math.max(0, (target - below) / bins[slot]!));
  return { q, value: from + inside * (to - from), where: 'within' };
}

function frequentValuesResult(query: QueryOf<'frequent-values'>, context: QueryContext, counts: number[], holders: number[], common: Common): QueryResult {
  const listed = query.values ?? context.classes;
  const values = listed
    .map((value, i) => ({ value, count: counts[i]!, devices: holders[i]! }))
    .filter((v) => v.devices >= query.k)
    .sort((a, b) => b.count - a.count);
  const column = countsLabels(query, context) ? (context.labelColumn ?? 'label') : query.column!;
  return { kind: query.kind, column, k: query.k, values, ...common };
}

function columnStatsResult(query: QueryOf<'column-stats'>, count: number, sums: number[], squares: number[], bins: number[], common: Common): QueryResult {
  // With DP a range counts as holding values only when its count is beyond what the noise alone could make.
  const held = common.noise?.noiseBound.bins ?? 0;
  let start = 0;
  const columns = query.columns.map((c, j): ColumnSummary => {
    const slots = bins.slice(start, start + columnSlots(c));
    start += slots.length;
    const half = (c.high - c.low) / 2;
    const offset = count > 0 ? Math.min(half, Math.max(-half, sums[j]! / count)) : null;
    const variance = offset === null ? null : Math.min(half * half, Math.max(0, squares[j]! / count - offset * offset));
    const range = (s: number): BinRange => columnRange(c, s);
    const heldSlots = slots.flatMap((n, s) => (n > held ? [s] : []));
    const [first, last] = [heldSlots[0], heldSlots.at(-1)];
    return {
      name: c.name,
      mean: offset === null ? null : columnCentre(c) + offset,
      variance,
      bins: slots,
      min: first === undefined ? null : range(first),
      max: last === undefined ? null : range(last),
    };
  });
  return { kind: query.kind, count, columns, ...common };
}

function columnRange(c: { low: number; high: number; bins: number }, slot: number): BinRange {
  if (slot === 0) return { from: null, to: c.low };
  if (slot === c.bins + 1) return { from: c.high, to: null };
  const width = (c.high - c.low) / c.bins;
  return { from: c.low + (slot - 1) * width, to: slot === c.bins ? c.high : c.low + slot * width };
}
