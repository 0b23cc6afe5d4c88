import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { describeProblems, parseCsvExamples } from '../data/csvExamples.ts';
import { splitLocal } from '../data/localSplit.ts';
import type { DatasetConfig } from '../config/datasetConfig.ts';
import { loadLocalData, type LocalData } from './localData.ts';

/**
 * A silo's examples for a federation. For a device-data federation the CSV is checked against its
 * schema (the first bad rows are named) and split into training and held-out examples (seeded by
 * `splitSeed`, so the same ones stay held out); otherwise MNIST-style data (see loadLocalData).
 */
export async function loadSiloData(path: string, dataset: DatasetConfig | null, splitSeed: string): Promise<LocalData> {
  if (dataset?.kind !== 'device') return loadLocalData(path);
  const { schema } = dataset;
  if (schema.type !== 'csv')
    throw new Error(`federation takes ${schema.width}x${schema.height} images: import them on the device page (flockctl client reads CSV files)`);
  if ((await stat(path)).isDirectory())
    throw new Error(`${path}: this federation takes a CSV file with the columns ${[...schema.features, schema.label].join(', ')}`);
  const result = parseCsvExamples(await readFile(path, 'utf8'), schema);
  if (!result.ok) throw new Error(`${path} refused: ${describeProblems(result)}`);
  const { train, test } = splitLocal(result.data, dataset.testFraction, splitSeed);
  const file = basename(path);
  return { train: { data: train, file }, test: test && { data: test, file: `${file} (held out)` } };
}
