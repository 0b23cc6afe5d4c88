import { readFile, stat } from 'node:fs/promises';
import { describeProblems, parseCsvExamples } from '../data/csvExamples.ts';
import type { ImageDataset } from '../data/dataset.ts';
import { splitLocal } from '../data/localSplit.ts';
import type { DatasetConfig } from '../protocol/datasetConfig.ts';
import { loadLocalData } from './localData.ts';

/**
 * A silo's examples for a federation. For a device-data federation the CSV is checked against its
 * schema (the first bad rows are named) and split into training and held-out examples (seeded by
 * `splitSeed`, so the same ones stay held out); otherwise MNIST-style data, all of it for training.
 */
export async function loadSiloData(path: string, dataset: DatasetConfig | null, splitSeed: string): Promise<{ train: ImageDataset; test: ImageDataset | null }> {
  if (dataset?.kind !== 'device') return { train: await loadLocalData(path), test: null };
  const { schema } = dataset;
  if (schema.type !== 'csv') throw new Error(`federation takes ${schema.width}x${schema.height} images: import them on the device page (flock client reads CSV files)`);
  if ((await stat(path)).isDirectory()) throw new Error(`${path}: this federation takes a CSV file with the columns ${[...schema.features, schema.label].join(', ')}`);
  const result = parseCsvExamples(await readFile(path, 'utf8'), schema);
  if (!result.ok) throw new Error(`${path} refused: ${describeProblems(result)}`);
  return splitLocal(result.data, dataset.testFraction, splitSeed);
}
