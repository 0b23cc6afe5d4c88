import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ImageDataset } from '@flock/fl-core';
import type { MnistSplit } from '@flock/fl-core/node';

const CLASSES = 10;
const SIDE = 28;
const PIXELS = SIDE * SIDE;
/**
 * The `fashion-mnist` package ships 7,000 images per class as JSON (class 0's file also holds two
 * empty entries, skipped). The fixed split: the first 6,000 of each class train, the last 1,000
 * test (60,000 / 10,000 like MNIST).
 */
export const FASHION_TRAIN_PER_CLASS = 6_000;
export const FASHION_TEST_PER_CLASS = 1_000;

export function fashionMnistDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('fashion-mnist/package.json')), 'src', 'clothes');
}

function emptySplit(perClass: number): ImageDataset {
  const count = perClass * CLASSES;
  return { count, height: SIDE, width: SIDE, channels: 1, numClasses: CLASSES, labels: new Uint8Array(count), pixels: new Uint8Array(count * PIXELS) };
}

/**
 * Both splits, read from the package's ten class files one after another (each is ~15 MB of JSON).
 * Classes are interleaved (example i has label i mod 10), so any prefix of the test set, which the
 * evaluator takes, is balanced.
 */
export async function loadFashionMnist(dir = fashionMnistDir()): Promise<Record<MnistSplit, ImageDataset>> {
  const train = emptySplit(FASHION_TRAIN_PER_CLASS);
  const test = emptySplit(FASHION_TEST_PER_CLASS);
  for (let label = 0; label < CLASSES; label++) {
    const parsed = JSON.parse(await readFile(join(dir, `${label}.json`), 'utf8')) as { data: number[][] };
    const data = parsed.data.filter((image) => image.length > 0);
    if (data.length < FASHION_TRAIN_PER_CLASS + FASHION_TEST_PER_CLASS) {
      throw new Error(`Fashion-MNIST class ${label}: ${data.length} images, expected at least ${FASHION_TRAIN_PER_CLASS + FASHION_TEST_PER_CLASS}`);
    }
    const place = (split: ImageDataset, image: number[], k: number) => {
      if (image.length !== PIXELS) throw new Error(`Fashion-MNIST class ${label}: an image has ${image.length} pixels, expected ${PIXELS}`);
      const i = k * CLASSES + label;
      split.labels[i] = label;
      split.pixels.set(image, i * PIXELS);
    };
    for (let k = 0; k < FASHION_TRAIN_PER_CLASS; k++) place(train, data[k]!, k);
    const testStart = data.length - FASHION_TEST_PER_CLASS;
    for (let k = 0; k < FASHION_TEST_PER_CLASS; k++) place(test, data[testStart + k]!, k);
  }
  return { train, test };
}
