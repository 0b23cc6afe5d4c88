import * as tf from '@tensorflow/tfjs';
import { buildModel, createRng, encodeWeights, manifestOf, predictLabels, readWeights, writeWeights, type ImageDataset } from '@flock/fl-core';
import { AnalyticsQuery, confusionMatrixAnswer, deviceAnswer, type AnalyticsQueryInput, type DataQuery, type QueryContext } from '@flock/fl-core/analytics';
import { beforeAll, describe, expect, it } from 'vitest';
import { runPython } from './python.ts';

/**
 * The Python silo's answers to federated-analytics queries (python-client/flock_client/queries.py) against fl-core's
 * deviceAnswer: on the same rows, every kind gives the very same numbers, the examplesPerDevice sample too when both
 * draw from the same seed, and a confusion matrix of the same global model (tabular-mlp on Python's numpy engine).
 * One Python process answers every case (tests/queries_interop.py).
 */

const CONTEXT: QueryContext = { classes: ['no', 'yes', 'maybe'], columns: ['age', 'income', 'region'], labelColumn: 'label', maxExamplesPerDevice: 1_000 };
const ROWS = 60;

/** CSV rows as a device holds them (float32), with values on the bins' and edges' boundaries, outside the ranges, and a code (0.1) that float32 cannot hold exactly. */
function rows(): ImageDataset {
  const rng = createRng(7);
  const planted = [18, 20, 90, 80, 17.5, 95, 30, 54];
  const features = new Float32Array(ROWS * 3);
  for (let r = 0; r < ROWS; r++) {
    features[r * 3] = planted[r] ?? 10 + rng() * 90;
    features[r * 3 + 1] = r === 1 ? 1 : r === 2 ? -0.25 : rng() * 1.1;
    features[r * 3 + 2] = r === 3 ? 0.5 : r === 4 ? 0.1 : Math.floor(rng() * 4);
  }
  const labels = Uint8Array.from({ length: ROWS }, (_, r) => (r * 7 + Math.floor(rng() * 2)) % 3);
  return { count: ROWS, height: 1, width: 3, channels: 1, numClasses: 3, labels, pixels: new Uint8Array(0), features };
}

/** The same labels with features around 0, so that the model's predictions vary from row to row (age's range would decide them all). */
function centredRows(): ImageDataset {
  const data = rows();
  const rng = createRng(9);
  return { ...data, features: data.features!.map(() => rng() * 6 - 3) };
}

const CASES: { id: string; query: AnalyticsQueryInput; seed?: number; data?: ImageDataset }[] = [
  { id: 'label-histogram', query: { kind: 'label-histogram' } },
  {
    id: 'column-stats',
    query: {
      kind: 'column-stats',
      columns: [
        { name: 'age', low: 18, high: 90, bins: 6 },
        { name: 'income', low: 0, high: 1, bins: 4 },
      ],
    },
  },
  { id: 'quantiles', query: { kind: 'quantiles', column: 'age', edges: [20, 30, 40, 50, 60, 70, 80], quantiles: [0.5, 0.9] } },
  { id: 'frequent-labels', query: { kind: 'frequent-values', values: ['yes', 'no'], k: 2 } },
  { id: 'frequent-label-column', query: { kind: 'frequent-values', column: 'label' } },
  { id: 'frequent-codes', query: { kind: 'frequent-values', column: 'region', values: [0, 1, 2, 7, 0.5, 0.1], k: 2 } },
  { id: 'confusion-matrix', query: { kind: 'confusion-matrix' }, data: centredRows() },
  { id: 'sampled-histogram', query: { kind: 'label-histogram', privacy: { examplesPerDevice: 17 } }, seed: 11 },
  { id: 'sampled-column-stats', query: { kind: 'column-stats', columns: [{ name: 'age', low: 18, high: 90 }], privacy: { examplesPerDevice: 9 } }, seed: 12 },
  { id: 'sampled-confusion-matrix', query: { kind: 'confusion-matrix', privacy: { examplesPerDevice: 25 } }, seed: 13, data: centredRows() },
  { id: 'other-classes', query: { kind: 'label-histogram' }, data: { ...rows(), numClasses: 4 } },
  {
    id: 'images',
    query: { kind: 'quantiles', column: 'age', edges: [0, 1], quantiles: [0.5] },
    data: { count: 2, height: 2, width: 2, channels: 1, numClasses: 3, labels: Uint8Array.of(0, 1), pixels: new Uint8Array(8), features: undefined },
  },
];

let model: tf.Sequential;
let weights: string;
let python: Record<string, number[] | { refused: string }>;

async function typescriptAnswer(query: AnalyticsQuery, data: ImageDataset, seed: number | undefined): Promise<number[] | { refused: string }> {
  const random = createRng(seed ?? 0);
  try {
    if (query.kind === 'confusion-matrix') return [...(await confusionMatrixAnswer(query, CONTEXT, data, (counted) => predictLabels(model, counted), random))];
    return [...deviceAnswer(query as DataQuery, CONTEXT, data, random)];
  } catch (err) {
    return { refused: (err as Error).message };
  }
}

beforeAll(async () => {
  model = buildModel('tabular-mlp', 3, { inputShape: [1, 3, 1], numClasses: 3 });
  const rng = createRng(5);
  const values = (await readWeights(model)).map((v) => v + (rng() - 0.5) * 0.1);
  writeWeights(model, values);
  weights = Buffer.from(encodeWeights(manifestOf(model), values, 'weights')).toString('base64');
  const input = CASES.map(({ id, query, seed, data = rows() }) => ({
    id,
    query: AnalyticsQuery.parse(query),
    context: CONTEXT,
    shape: [data.count, data.height, data.width, data.channels],
    features: [...(data.features ?? data.pixels)],
    labels: [...data.labels],
    numClasses: data.numClasses,
    ...(seed === undefined ? {} : { seed }),
    ...(query.kind === 'confusion-matrix' ? { model: { name: 'tabular-mlp', weights } } : {}),
  }));
  const run = await runPython(['python-client/tests/queries_interop.py'], { input: JSON.stringify(input), timeoutMs: 30_000 });
  if (run.code !== 0) throw new Error(`queries_interop.py exited ${run.code}: ${run.stderr}`);
  python = JSON.parse(run.stdout.toString('utf8')) as typeof python;
}, 40_000);

describe('the Python silo answers queries as deviceAnswer does', () => {
  it.each(CASES)('$id', async ({ id, query, seed, data = rows() }) => {
    const expected = await typescriptAnswer(AnalyticsQuery.parse(query), data, seed);
    expect(python[id]).toEqual(expected);
  });

  it('counts what it should: every row, every row sampled once, and a matrix the model decides', () => {
    expect(python['label-histogram']).toHaveLength(3);
    expect((python['label-histogram'] as number[]).reduce((a, b) => a + b)).toBe(ROWS);
    expect((python['sampled-histogram'] as number[]).reduce((a, b) => a + b)).toBe(17);
    expect((python['sampled-confusion-matrix'] as number[]).reduce((a, b) => a + b)).toBe(25);
    const predicted = (python['confusion-matrix'] as number[]).map((n, i) => (n > 0 ? i % 3 : -1)).filter((p) => p >= 0);
    expect(new Set(predicted).size).toBeGreaterThan(1);
    expect(python['other-classes']).toEqual({ refused: "this device's examples have 4 classes, the federation 3: import them again" });
  });
});
