import type { DemoDataset, ImageDataset } from '@flock/fl-core';
import { loadMnist, type MnistSplit } from '@flock/fl-core/node';
import { loadFashionMnist } from './fashionMnist.ts';

export type DemoDatasetKind = DemoDataset['kind'];

/** The demo datasets' splits, each read from disk at most once per process, on first use. */
export class MnistSource {
  private readonly splits = new Map<string, Promise<ImageDataset>>();
  private fashion: ReturnType<typeof loadFashionMnist> | null = null;

  get(split: MnistSplit, kind: DemoDatasetKind = 'mnist'): Promise<ImageDataset> {
    const key = `${kind}/${split}`;
    let p = this.splits.get(key);
    if (!p) {
      p = this.load(split, kind);
      this.splits.set(key, p);
    }
    return p;
  }

  private load(split: MnistSplit, kind: DemoDatasetKind): Promise<ImageDataset> {
    switch (kind) {
      case 'mnist':
        return loadMnist(split);
      case 'fashion-mnist':
        // One read of the package gives both splits.
        this.fashion ??= loadFashionMnist();
        return this.fashion.then((splits) => splits[split]);
      default: {
        const unknown: never = kind;
        throw new Error(`unknown demo dataset ${String(unknown)}`);
      }
    }
  }
}
