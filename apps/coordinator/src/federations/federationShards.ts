import { demoDataset, encodeDataset, subset, type FederationConfig, type Partition } from '@flock/fl-core';
import type { MnistSource } from '../evaluation/mnistSource.ts';
import { partitionDataset } from './datasetPartition.ts';

/** A demo-data federation's training set cut into one shard per device, computed once, on the first hello. */
export class FederationShards {
  private partition: Promise<Partition> | null = null;

  constructor(
    private readonly dataset: FederationConfig['dataset'],
    private readonly mnist: MnistSource,
  ) {}

  /** Shard index to example count; empty for a federation whose devices bring their own data. */
  async sizes(): Promise<(shardIndex: number) => number> {
    const partition = await this.trainSetPartition();
    return (shardIndex) => partition[shardIndex]?.length ?? 0;
  }

  /** The shard's examples, encoded for download. */
  async encoded(shardIndex: number): Promise<Uint8Array> {
    const train = await this.mnist.get('train', demoDataset(this.dataset)?.kind);
    return encodeDataset(subset(train, (await this.trainSetPartition())[shardIndex]!));
  }

  private trainSetPartition(): Promise<Partition> {
    const demo = demoDataset(this.dataset);
    if (!demo) return Promise.resolve([]);
    this.partition ??= this.mnist.get('train', demo.kind).then((train) => partitionDataset(demo, train.labels));
    return this.partition;
  }
}
