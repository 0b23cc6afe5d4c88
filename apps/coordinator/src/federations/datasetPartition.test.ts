import { describe, expect, it } from 'vitest';
import { deviceCount, MNIST_TRAIN_EXAMPLES, type FederationConfig } from '@flock/fl-core';
import { partitionDataset } from './datasetPartition.ts';

const labels = Uint8Array.from({ length: MNIST_TRAIN_EXAMPLES }, (_, i) => (i * 7) % 10);
const base: FederationConfig['dataset'] = { kind: 'mnist', partition: 'iid', examplesPerDevice: 600, seed: 3 };

describe('partitionDataset', () => {
  it('gives K=numDevices disjoint shards, reproducibly for a seed', () => {
    for (const partition of ['iid', 'shards', 'dirichlet'] as const) {
      const dataset = { ...base, partition, numDevices: 20, examplesPerDevice: 100 };
      const parts = partitionDataset(dataset, labels);
      expect(parts).toHaveLength(20);
      const all = parts.flat();
      expect(new Set(all).size).toBe(all.length);
      expect(all.length).toBe(2000);
      expect(parts.every((p) => p.length > 0)).toBe(true);
      expect(partitionDataset(dataset, labels)).toEqual(parts);
    }
  });

  it('splits shards by label: each device sees at most two classes', () => {
    const parts = partitionDataset({ ...base, partition: 'shards', numDevices: 100 }, labels);
    for (const p of parts) expect(new Set(p.map((i) => labels[i])).size).toBeLessThanOrEqual(2);
  });

  it('keeps the demo partition: K = 60000 / examplesPerDevice when numDevices is absent', () => {
    expect(deviceCount(base)).toBe(100);
    expect(partitionDataset(base, labels)[0]).toHaveLength(600);
  });
});
