import type { ImageDataset } from '@flock/fl-core';
import { loadMnist, type MnistSplit } from '@flock/fl-core/node';

/** Each MNIST split is read from disk at most once per process, on first use. */
export class MnistSource {
  private readonly splits = new Map<MnistSplit, Promise<ImageDataset>>();

  get(split: MnistSplit): Promise<ImageDataset> {
    let p = this.splits.get(split);
    if (!p) {
      p = loadMnist(split);
      this.splits.set(split, p);
    }
    return p;
  }
}
