import { AnalyticsQuery, type NoiseReport, type QueryResult } from '@flock/fl-core/analytics';
import { describe, expect, it } from 'vitest';
import type { QueryRecord } from '../../api/queriesApi.ts';
import {
  anyUnfinished,
  binEdges,
  cellShare,
  classRecall,
  formatValue,
  labelBars,
  labelSkewWords,
  meanAndSd,
  noiseWords,
  percent,
  privacyWords,
  queryTitle,
  rangeWords,
  scoredModelWords,
  slotNames,
  sortedValues,
  statsColumns,
  statusWords,
} from './resultShape.ts';

const noise: NoiseReport = { mechanism: 'laplace', epsilon: 1, noiseBound: { counts: 12.345, holders: 3 }, failureProbability: 1e-6 };

function record(fields: Partial<QueryRecord>): QueryRecord {
  return {
    id: 'q1',
    federationId: 'demo',
    query: AnalyticsQuery.parse({ kind: 'label-histogram' }),
    status: 'queued',
    whatLeaves: '10 numbers',
    submittedAt: '2026-12-06T02:00:00.000Z',
    startedAt: null,
    finishedAt: null,
    asked: 0,
    answered: 0,
    result: null,
    reason: null,
    ...fields,
  };
}

describe('query results as the Data view shows them', () => {
  it('formats whole counts in full and other numbers to four significant digits', () => {
    expect(formatValue(12345)).toBe('12,345');
    expect(formatValue(3.14159)).toBe('3.142');
    expect(formatValue(null)).toBe('—');
  });

  it('draws the label histogram with each bar carrying the noise bound', () => {
    const result: QueryResult = { kind: 'label-histogram', classes: ['0', '1'], counts: [5, 7], devices: 6, noise };
    expect(labelBars(result)).toEqual([
      { label: '0', count: 5, bound: 12.345 },
      { label: '1', count: 7, bound: 12.345 },
    ]);
    expect(noiseWords(noise)).toBe(
      'Noised for differential privacy (ε = 1, Laplace): each count ± 12.35, each number of devices holding a value ± 3 of the exact sum, except with probability 0.000001.',
    );
  });

  it("names a histogram's slots, below, between and above the edges", () => {
    expect(slotNames([0, 10, 20])).toEqual(['below 0', '0 to 10', '10 to 20', 'above 20']);
    expect(binEdges(0, 1, 4)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(rangeWords({ from: null, to: 18 })).toBe('below 18');
    expect(rangeWords({ from: 90, to: null })).toBe('above 90');
    expect(rangeWords({ from: 18, to: 27 })).toBe('18 to 27');
    expect(rangeWords(null)).toBe('—');
  });

  it("shows a column's mean with its standard deviation and names its bins from the query's range", () => {
    expect(meanAndSd(40, 25)).toBe('40 ± 5');
    expect(meanAndSd(null, null)).toBe('no values');
    const query = AnalyticsQuery.parse({ kind: 'column-stats', columns: [{ name: 'age', low: 0, high: 100, bins: 2 }] });
    const column = { name: 'age', mean: 40, variance: 25, bins: [0, 3, 4, 1], min: null, max: null };
    const [row] = statsColumns(query, { kind: 'column-stats', count: 8, columns: [column], devices: 5 });
    expect(row!.slots).toEqual(['below 0', '0 to 50', '50 to 100', 'above 100']);
  });

  it('sorts frequent values by count and shades a confusion cell by its share of the row', () => {
    const values = [
      { value: 'a', count: 2, devices: 5 },
      { value: 'b', count: 9, devices: 6 },
    ];
    expect(sortedValues(values).map((v) => v.value)).toEqual(['b', 'a']);
    expect(cellShare([3, 1], 0)).toBe(0.75);
    expect(cellShare([0, 0], 1)).toBe(0);
    expect(
      classRecall([
        [3, 1],
        [0, 0],
      ]),
    ).toEqual([0.75, null]);
    expect([0.75, null].map(percent)).toEqual(['75.0%', '—']);
  });

  it('titles a query and words its privacy', () => {
    const query = AnalyticsQuery.parse({ kind: 'frequent-values', k: 3, privacy: { minDevices: 8, epsilon: 0.5, examplesPerDevice: 1000 } });
    expect(queryTitle(query)).toBe('frequent values of the label (k = 3)');
    expect(privacyWords(query)).toBe('at least 8 devices, 1,000 examples per device at most, ε = 0.5');
  });

  it('says where a query stands, and why it was refused in the coordinator words', () => {
    expect(statusWords(record({ status: 'running', asked: 12 }))).toMatch(/^Running: asked 12 devices; .* deadline \(30 s\)/);
    expect(statusWords(record({ status: 'done', asked: 12, answered: 11 }))).toBe('Done: 11 of 12 devices asked answered.');
    const confusion = AnalyticsQuery.parse({ kind: 'confusion-matrix' });
    expect(statusWords(record({ query: confusion, status: 'done', asked: 12, answered: 11 }))).toMatch(
      /^Done: 11 of 12 devices asked answered\. Devices that did not answer by the deadline .* set examplesPerDevice .* or give a longer deadlineMs\.$/,
    );
    expect(statusWords(record({ query: confusion, status: 'done', asked: 12, answered: 12 }))).toBe('Done: 12 of 12 devices asked answered.');
    expect(statusWords(record({ status: 'refused', reason: 'only 3 devices answered. Ask again when more devices are online.' }))).toBe(
      'Refused: only 3 devices answered. Ask again when more devices are online.',
    );
    expect(anyUnfinished([record({ status: 'done' }), record({ status: 'running' })])).toBe(true);
    expect(anyUnfinished([record({ status: 'refused' })])).toBe(false);
  });

  it('names the global model a confusion matrix scored', () => {
    expect(scoredModelWords(3)).toBe('It scored the global model after round 3, as it was when the query started.');
    expect(scoredModelWords(0)).toBe('It scored the initial global model: no round had completed when the query started.');
    expect(scoredModelWords(undefined)).toBe('');
  });

  it('explains why per-device label histograms are not shown, and what the demo partition says of the skew', () => {
    const shards = labelSkewWords({ kind: 'mnist', partition: 'shards', examplesPerDevice: 600, seed: 1 });
    expect(shards).toMatch(/own histogram would leave the device/);
    expect(shards).toMatch(/two label-sorted shards per device/);
    expect(labelSkewWords({ kind: 'mnist', partition: 'dirichlet', alpha: 0.1, examplesPerDevice: 600, seed: 1 })).toMatch(/Dirichlet\(α = 0.1\)/);
  });
});
