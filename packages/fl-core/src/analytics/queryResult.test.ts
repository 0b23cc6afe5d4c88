import { describe, expect, it } from 'vitest';
import type { ImageDataset } from '../data/dataset.ts';
import { createRng } from '../data/random.ts';
import { answerLayout, answerProblem } from './answerLayout.ts';
import { AnswerSum } from './answerSum.ts';
import { confusionAnswer, deviceAnswer, type DataQuery } from './deviceAnswer.ts';
import type { AnalyticsQuery, AnalyticsQueryInput } from './query.ts';
import { parseQuery, type QueryContext } from './queryContext.ts';
import { finishQuery, quantileOf, type QueryResult } from './queryResult.ts';

const context: QueryContext = { classes: ['low', 'mid', 'high'], columns: ['age', 'income', 'region'], labelColumn: 'risk', maxExamplesPerDevice: 100_000 };

/** Synthetic CSV devices: skewed labels, ages partly outside 18..90, incomes, region codes 0..4 (region 4 on one device only). */
function syntheticDevices(count: number, seed: number): ImageDataset[] {
  const rng = createRng(seed);
  return Array.from({ length: count }, (_, d) => {
    const n = 20 + Math.floor(rng() * 80);
    const labels = Uint8Array.from({ length: n }, () => Math.min(2, Math.floor(rng() * rng() * 3 + (d % 3) * rng())));
    const features = new Float32Array(n * 3);
    for (let e = 0; e < n; e++) {
      features[e * 3] = Math.round(10 + rng() * 90);
      features[e * 3 + 1] = Math.fround(20_000 + rng() * 80_000);
      features[e * 3 + 2] = d === 0 ? 4 : Math.floor(rng() * 4);
    }
    return { count: n, height: 1, width: 3, channels: 1, numClasses: 3, labels, pixels: new Uint8Array(0), features };
  });
}

const devices = syntheticDevices(12, 7);
const pooled = {
  labels: devices.flatMap((d) => [...d.labels]),
  column: (c: number) => devices.flatMap((d) => Array.from({ length: d.count }, (_, e) => d.features![e * 3 + c]!)),
};

function query(body: AnalyticsQueryInput): AnalyticsQuery {
  const parsed = parseQuery(body, context);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.query;
}

function ask(q: DataQuery, seed = 1): QueryResult {
  const sum = new AnswerSum(answerLayout(q, context).length);
  for (const device of devices) {
    const answer = deviceAnswer(q, context, device, createRng(seed));
    expect(answerProblem(answerLayout(q, context), answer)).toBeNull();
    sum.add(answer);
  }
  const outcome = finishQuery(q, context, sum, createRng(seed));
  if (!outcome.ok) throw new Error(outcome.reason);
  return outcome.result;
}

function histogram(values: number[], classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (const v of values) counts[v]!++;
  return counts;
}

describe('answers without noise equal the statistic on the pooled data', () => {
  it('label histogram: the pooled counts, and the number of devices', () => {
    const result = ask(query({ kind: 'label-histogram' }) as DataQuery);
    expect(result).toEqual({ kind: 'label-histogram', classes: ['low', 'mid', 'high'], counts: histogram(pooled.labels, 3), devices: 12 });
  });

  it('column stats: count, mean and variance of the clipped values, and where min and max lie', () => {
    const result = ask(
      query({
        kind: 'column-stats',
        columns: [
          { name: 'age', low: 18, high: 90, bins: 8 },
          { name: 'income', low: 0, high: 200_000 },
        ],
      }) as DataQuery,
    );
    if (result.kind !== 'column-stats') throw new Error(result.kind);
    const ages = pooled.column(0);
    expect(result.count).toBe(ages.length);
    const clipped = ages.map((a) => Math.min(90, Math.max(18, a)));
    const mean = clipped.reduce((a, b) => a + b, 0) / clipped.length;
    const variance = clipped.reduce((a, b) => a + (b - mean) ** 2, 0) / clipped.length;
    const [age, income] = result.columns;
    expect(age!.mean).toBeCloseTo(mean, 9);
    expect(age!.variance).toBeCloseTo(variance, 7);
    expect(age!.bins[0]).toBe(ages.filter((a) => a < 18).length);
    expect(age!.bins.reduce((a, b) => a + b, 0)).toBe(ages.length);
    // Ages run from 10 to 100: some lie below the range, some above.
    expect(age!.min).toEqual({ from: null, to: 18 });
    expect(age!.max).toEqual({ from: 90, to: null });
    expect(age!.bins.at(-1)).toBe(ages.filter((a) => a > 90).length);
    const incomes = pooled.column(1);
    const incomeMean = incomes.reduce((a, b) => a + b, 0) / incomes.length;
    expect(income!.mean).toBeCloseTo(incomeMean, 6);
    const incomeVariance = incomes.reduce((a, b) => a + (b - incomeMean) ** 2, 0) / incomes.length;
    expect(income!.variance! / incomeVariance).toBeCloseTo(1, 9);
    expect(income!.min).toEqual({ from: 20_000, to: 40_000 });
    expect(income!.max).toEqual({ from: 80_000, to: 100_000 });
  });

  it('quantiles: the pooled histogram exactly, and each quantile inside the bin holding the true one', () => {
    const edges = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
    const result = ask(query({ kind: 'quantiles', column: 'age', edges, quantiles: [0, 0.25, 0.5, 0.9, 1] }) as DataQuery);
    if (result.kind !== 'quantiles') throw new Error(result.kind);
    const ages = pooled.column(0).sort((a, b) => a - b);
    const bins = new Array<number>(edges.length + 1).fill(0);
    for (const a of ages) bins[a === 100 ? 9 : Math.floor(a / 10)]!++;
    expect(result.bins).toEqual(bins);
    for (const { q, value, where } of result.quantiles) {
      const truth = ages[Math.min(ages.length - 1, Math.ceil(q * ages.length) - 1 < 0 ? 0 : Math.ceil(q * ages.length) - 1)]!;
      expect(where).toBe('within');
      expect(Math.abs(value! - truth)).toBeLessThanOrEqual(10);
    }
    expect(result.quantiles[0]!.value).toBe(10);
    expect(result.quantiles.at(-1)!.value).toBe(100);
  });

  it('quantiles beyond the edges are reported at the edge, with where they lie', () => {
    expect(quantileOf(0.1, [5, 3, 2], [0, 1])).toEqual({ q: 0.1, value: 0, where: 'below' });
    expect(quantileOf(0.6, [5, 3, 2], [0, 1])).toEqual({ q: 0.6, value: 1 / 3, where: 'within' });
    expect(quantileOf(0.95, [5, 3, 2], [0, 1])).toEqual({ q: 0.95, value: 1, where: 'above' });
    expect(quantileOf(0.5, [0, 0, 0], [0, 1])).toEqual({ q: 0.5, value: null, where: 'within' });
  });

  it('frequent values: pooled counts of values at least k devices hold; a value on fewer devices is not reported at all', () => {
    const result = ask(query({ kind: 'frequent-values', column: 'region', values: [0, 1, 2, 3, 4, 9], k: 3 }) as DataQuery);
    const regions = pooled.column(2);
    const expected = [0, 1, 2, 3]
      .map((value) => ({
        value,
        count: regions.filter((r) => r === value).length,
        devices: devices.filter((d) => d.features!.some((x, i) => i % 3 === 2 && x === value)).length,
      }))
      .sort((a, b) => b.count - a.count);
    // Region 4: many examples, but on device 0 alone.
    expect(regions.filter((r) => r === 4).length).toBeGreaterThan(15);
    expect(result).toEqual({ kind: 'frequent-values', column: 'region', k: 3, values: expected, devices: 12 });
    const labels = ask(query({ kind: 'frequent-values', k: 2 }) as DataQuery);
    expect(labels).toMatchObject({ column: 'risk', values: expect.arrayContaining([{ value: 'low', count: histogram(pooled.labels, 3)[0], devices: 12 }]) });
  });

  it('confusion matrix: the pooled matrix of predictions and labels, and its accuracy', () => {
    const q = query({ kind: 'confusion-matrix', privacy: { minDevices: 2 } });
    const layout = answerLayout(q, context);
    const sum = new AnswerSum(layout.length);
    const truth = [
      [0, 1, 2, 2],
      [1, 1, 0],
    ];
    const predicted = [
      [0, 2, 2, 2],
      [1, 0, 0],
    ];
    truth.forEach((t, d) => sum.add(confusionAnswer(predicted[d]!, t, 3)));
    const outcome = finishQuery(q, context, sum);
    expect(outcome).toEqual({
      ok: true,
      result: {
        kind: 'confusion-matrix',
        classes: ['low', 'mid', 'high'],
        matrix: [
          [2, 0, 0],
          [1, 1, 1],
          [0, 0, 2],
        ],
        accuracy: 5 / 7,
        devices: 2,
      },
    });
    expect(() => confusionAnswer([0, 3], [0, 1], 3)).toThrow(/example 1: label 1 or prediction 3 is not one of the 3 classes/);
  });

  it('counts at most examplesPerDevice examples of each device, a random sample of them', () => {
    const q = query({ kind: 'label-histogram', privacy: { examplesPerDevice: 10 } }) as DataQuery;
    for (const device of devices) expect(deviceAnswer(q, context, device, createRng(3)).reduce((a, b) => a + b, 0)).toBe(10);
  });
});

describe('privacy', () => {
  it('refuses to report when fewer devices than the floor answered, saying why and what to do', () => {
    const q = query({ kind: 'label-histogram', privacy: { minDevices: 13 } }) as DataQuery;
    const sum = new AnswerSum(3);
    for (const device of devices) sum.add(deviceAnswer(q, context, device));
    expect(finishQuery(q, context, sum)).toEqual({
      ok: false,
      reason:
        'only 12 devices answered and the query needs at least 13 (its minDevices), so nothing is reported: with fewer, an answer could single out a device. Ask again when more devices are online, or lower minDevices.',
    });
  });

  it('with epsilon, every noised count lies within the stated noise bound of the pooled count, for many draws', () => {
    const q = query({ kind: 'label-histogram', privacy: { epsilon: 1, examplesPerDevice: 100 } }) as DataQuery;
    const truth = histogram(pooled.labels, 3);
    let moved = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const result = ask(q, seed);
      if (result.kind !== 'label-histogram') throw new Error(result.kind);
      // Laplace(100 / 1): bound = 100 x ln(3 / 1e-6).
      expect(result.noise).toEqual({ mechanism: 'laplace', epsilon: 1, noiseBound: { counts: 100 * Math.log(3e6) }, failureProbability: 1e-6 });
      result.counts.forEach((c, i) => expect(Math.abs(c - truth[i]!)).toBeLessThanOrEqual(result.noise!.noiseBound.counts!));
      if (result.counts.some((c, i) => c !== truth[i])) moved++;
    }
    expect(moved).toBe(200);
  });

  it('with epsilon, column stats split it between count, sums, squares and bins, each noised within its bound', () => {
    const q = query({
      kind: 'column-stats',
      columns: [{ name: 'age', low: 0, high: 100, bins: 4 }],
      privacy: { epsilon: 2, examplesPerDevice: 100 },
    }) as DataQuery;
    const result = ask(q, 5);
    if (result.kind !== 'column-stats') throw new Error(result.kind);
    const bound = result.noise!.noiseBound;
    const tail = Math.log(9 / 1e-6); // 1 count + 1 sum + 1 square + 6 slots
    expect(bound).toEqual({
      count: ((4 * 100) / 2) * tail,
      sums: ((4 * 100 * 50) / 2) * tail,
      squares: ((4 * 100 * 2500) / 2) * tail,
      bins: ((4 * 100) / 2) * tail,
    });
    const ages = pooled.column(0);
    expect(Math.abs(result.count - ages.length)).toBeLessThanOrEqual(bound.count!);
    const mean = ages.reduce((a, b) => a + b, 0) / ages.length;
    // The mean is a noised sum over a noised count, kept within the column's range.
    const lowest = (ages.length * (mean - 50) - bound.sums!) / (ages.length + bound.count!) + 50;
    const highest = (ages.length * (mean - 50) + bound.sums!) / Math.max(1, ages.length - bound.count!) + 50;
    expect(result.columns[0]!.mean).toBeGreaterThanOrEqual(Math.max(0, lowest));
    expect(result.columns[0]!.mean).toBeLessThanOrEqual(Math.min(100, highest));
    expect(result.columns[0]!.variance).toBeGreaterThanOrEqual(0);
    expect(result.columns[0]!.variance).toBeLessThanOrEqual(2500);
  });
});
