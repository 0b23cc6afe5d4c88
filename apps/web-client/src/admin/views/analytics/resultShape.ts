import { lateScoringHint, type AnalyticsQuery, type BinRange, type FrequentValue, type NoiseReport, type QueryResult } from '@flock/fl-core/analytics';
import type { DatasetConfig, DemoDataset } from '@flock/fl-core/config';
import type { QueryRecord } from '../../api/queriesApi.ts';

const significant = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 4 });

/** A result's number: whole numbers in full, others (means, noised counts) to four significant digits. */
export function formatValue(value: number | null): string {
  if (value === null) return '—';
  return Number.isInteger(value) ? value.toLocaleString('en-US') : significant.format(value);
}

/** The noise bound of one answer group ("counts", "bins", ...), or null without DP. */
export function boundOf(noise: NoiseReport | undefined, group: string): number | null {
  return noise?.noiseBound[group] ?? null;
}

export const withBound = (text: string, bound: number | null): string => (bound === null ? text : `${text} ± ${formatValue(bound)}`);

const GROUP_WORDS: Record<string, string> = {
  counts: 'each count',
  holders: 'each number of devices holding a value',
  count: 'the number of examples',
  sums: "each column's sum",
  squares: "each column's sum of squares",
  bins: 'each bin count',
};

/** What the noise means, in words: how far each kind of number may lie from the exact sum, and how surely. */
export function noiseWords(noise: NoiseReport): string {
  const bounds = Object.entries(noise.noiseBound).map(([group, bound]) => `${GROUP_WORDS[group] ?? group} ± ${formatValue(bound)}`);
  return `Noised for differential privacy (ε = ${noise.epsilon}, Laplace): ${bounds.join(', ')} of the exact sum, except with probability ${noise.failureProbability}.`;
}

/** The label histogram as bars: one per class, with its noise bound for the error bar. */
export function labelBars(result: Extract<QueryResult, { kind: 'label-histogram' }>): Array<{ label: string; count: number; bound: number }> {
  const bound = boundOf(result.noise, 'counts') ?? 0;
  return result.classes.map((label, i) => ({ label, count: result.counts[i] ?? 0, bound }));
}

/** Names of a histogram's slots over rising edges: below the first, each range between two, above the last. */
export function slotNames(edges: readonly number[]): string[] {
  const f = (v: number) => formatValue(v);
  return [`below ${f(edges[0]!)}`, ...edges.slice(1).map((to, i) => `${f(edges[i]!)} to ${f(to)}`), `above ${f(edges.at(-1)!)}`];
}

/** The edges of a column's equal bins between low and high. */
export function binEdges(low: number, high: number, bins: number): number[] {
  return Array.from({ length: bins + 1 }, (_, i) => (i === bins ? high : low + ((high - low) * i) / bins));
}

/** Where min or max lies, as the range that holds it. */
export function rangeWords(range: BinRange | null): string {
  if (range === null) return '—';
  if (range.from === null) return `below ${formatValue(range.to)}`;
  if (range.to === null) return `above ${formatValue(range.from)}`;
  return `${formatValue(range.from)} to ${formatValue(range.to)}`;
}

/** "mean ± standard deviation" of a column (population standard deviation). */
export function meanAndSd(mean: number | null, variance: number | null): string {
  if (mean === null || variance === null) return 'no values';
  return `${formatValue(mean)} ± ${formatValue(Math.sqrt(variance))}`;
}

/** Each column of a column-stats result beside the range it was asked with, for its bins' names. */
export function statsColumns(query: AnalyticsQuery, result: Extract<QueryResult, { kind: 'column-stats' }>) {
  const asked = query.kind === 'column-stats' ? query.columns : [];
  return result.columns.map((column) => {
    const spec = asked.find((c) => c.name === column.name);
    return { ...column, slots: spec ? slotNames(binEdges(spec.low, spec.high, spec.bins)) : column.bins.map((_, i) => `bin ${i}`) };
  });
}

/** Frequent values, most counted first. */
export function sortedValues(values: readonly FrequentValue[]): FrequentValue[] {
  return [...values].sort((a, b) => b.count - a.count);
}

/** A confusion matrix cell's shade: its share of its true label's row, so each class reads alike whatever its size. */
export function cellShare(row: readonly number[], column: number): number {
  const total = row.reduce((a, b) => a + b, 0);
  return total > 0 ? (row[column] ?? 0) / total : 0;
}

/** Each class's recall: the share of its examples (its row) the model predicted right; null for a class no example carries. */
export function classRecall(matrix: readonly (readonly number[])[]): Array<number | null> {
  return matrix.map((row, t) => {
    const total = row.reduce((a, b) => a + b, 0);
    return total > 0 ? (row[t] ?? 0) / total : null;
  });
}

/** A share as a percentage to one decimal, or a dash. */
export const percent = (share: number | null): string => (share === null ? '—' : `${(share * 100).toFixed(1)}%`);

/** Which global model a confusion matrix scored; empty for a record from before the coordinator said. */
export function scoredModelWords(modelRound: number | undefined): string {
  if (modelRound === undefined) return '';
  if (modelRound === 0) return 'It scored the initial global model: no round had completed when the query started.';
  return `It scored the global model after round ${modelRound}, as it was when the query started.`;
}

/** A query in a few words, for its line in the list. */
export function queryTitle(query: AnalyticsQuery): string {
  switch (query.kind) {
    case 'label-histogram':
      return 'label histogram';
    case 'confusion-matrix':
      return "confusion matrix of the global model on the devices' examples";
    case 'column-stats':
      return `column statistics of ${query.columns.map((c) => c.name).join(', ')}`;
    case 'quantiles':
      return `quantiles ${query.quantiles.join(', ')} of ${query.column}`;
    case 'frequent-values':
      return `frequent values of ${query.column ?? 'the label'} (k = ${query.k})`;
  }
}

/** The privacy the query asked for, in words. */
export function privacyWords(query: AnalyticsQuery): string {
  const { minDevices, epsilon, examplesPerDevice } = query.privacy;
  const parts = [`at least ${minDevices} devices`];
  if (examplesPerDevice !== undefined) parts.push(`${examplesPerDevice.toLocaleString('en-US')} examples per device at most`);
  parts.push(epsilon === undefined ? 'no noise' : `ε = ${epsilon}`);
  return parts.join(', ');
}

/** Where a query stands, and what to do when it was refused. */
export function statusWords(record: QueryRecord): string {
  switch (record.status) {
    case 'queued':
      return 'Waiting: this federation runs one query at a time, and an earlier one is still running.';
    case 'running':
      return `Running: asked ${record.asked} ${record.asked === 1 ? 'device' : 'devices'}; the result comes once they have answered or the deadline (${record.query.deadlineMs / 1000} s) has passed.`;
    case 'done': {
      const hint = record.answered < record.asked ? lateScoringHint(record.query) : null;
      return `Done: ${record.answered} of ${record.asked} devices asked answered.${hint ? ` ${hint}` : ''}`;
    }
    case 'refused':
      return `Refused: ${record.reason ?? 'the coordinator gave no reason'}`;
  }
}

/** How the record's whatLeaves reads: what left, what leaves, or (nobody asked yet) what would. */
export function whatLeavesLead(record: QueryRecord): string {
  if (record.status === 'done') return 'What left each device that answered';
  return record.asked === 0 ? 'What each device asked would send' : 'What each device asked sends';
}

/** Whether the list should be fetched again soon: a query is waiting or running. */
export function anyUnfinished(records: readonly QueryRecord[]): boolean {
  return records.some((r) => r.status === 'queued' || r.status === 'running');
}

const DEMO_NAMES: Record<DemoDataset['kind'], string> = { mnist: 'MNIST', 'fashion-mnist': 'Fashion-MNIST' };

const PARTITION_WORDS: Record<DemoDataset['partition'], (alpha: number | undefined) => string> = {
  iid: () => 'equal random parts, so every device holds about the pooled mix of labels',
  shards: () => 'two label-sorted shards per device, so most devices hold only two labels',
  dirichlet: (alpha) => `label shares drawn per class from a Dirichlet(α = ${alpha ?? 0.5}): the smaller α, the fewer labels each device holds`,
};

/**
 * Why the view shows the pooled label histogram and no per-device ones, and what is known of the skew between
 * devices before training: a demo federation's partition was made by the coordinator, so its kind is known.
 */
export function labelSkewWords(dataset: DatasetConfig): string {
  const why =
    "Per-device label histograms are not shown: each device's own histogram would leave the device, so the label histogram query sums them and only the pooled counts are seen.";
  if (dataset.kind === 'device') return `${why} The devices bring their own data, so how their labels differ is known to each device alone.`;
  return `${why} This demo federation's ${DEMO_NAMES[dataset.kind]} examples were split by the coordinator into ${PARTITION_WORDS[dataset.partition](dataset.alpha)}; it keeps no per-shard label counts to chart.`;
}
