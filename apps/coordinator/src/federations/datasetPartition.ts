import {
  createRng,
  datasetProblem,
  deviceCount,
  MNIST_TRAIN_EXAMPLES,
  partitionDirichlet,
  partitionIid,
  partitionShards,
  shuffleInPlace,
  type DemoDataset,
  type Partition,
} from '@flock/fl-core';

/** The FedAvg paper's pathological non-IID split gives each device two label-sorted shards. */
const SHARDS_PER_DEVICE = 2;
const DEFAULT_DIRICHLET_ALPHA = 0.5;

type DatasetConfig = DemoDataset;

/**
 * Per shard, the indices into MNIST's training split. The pool is a seeded draw of
 * K x examplesPerDevice examples (the whole set for the paper's K=100 x 600), split by the
 * configured partitioner; every shard holds at least one example.
 */
export function partitionDataset(dataset: DatasetConfig, labels: Uint8Array): Partition {
  const k = deviceCount(dataset);
  const problem = datasetProblem(dataset);
  if (problem) throw new RangeError(problem);
  if (dataset.partition === 'iid') return partitionIid(MNIST_TRAIN_EXAMPLES, k, dataset.examplesPerDevice, dataset.seed);
  const pool = Array.from({ length: MNIST_TRAIN_EXAMPLES }, (_, i) => i);
  shuffleInPlace(pool, createRng(dataset.seed));
  pool.length = k * dataset.examplesPerDevice;
  const poolLabels = pool.map((i) => labels[i]!);
  const parts =
    dataset.partition === 'shards'
      ? partitionShards(poolLabels, k, SHARDS_PER_DEVICE, dataset.seed)
      : partitionDirichlet(poolLabels, k, dataset.alpha ?? DEFAULT_DIRICHLET_ALPHA, dataset.seed);
  fillEmptyParts(parts);
  return parts.map((part) => part.map((i) => pool[i]!));
}

/** Dirichlet draws can leave a device without data; it takes one example from the largest part. */
function fillEmptyParts(parts: Partition): void {
  for (const part of parts) {
    if (part.length > 0) continue;
    const largest = parts.reduce((a, b) => (b.length > a.length ? b : a));
    part.push(largest.pop()!);
  }
}
