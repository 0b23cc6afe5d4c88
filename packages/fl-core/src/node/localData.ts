import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { ImageDataset } from '../data/dataset.ts';
import { parseIdxImages, parseIdxLabels } from '../data/mnistIdx.ts';

const MNIST_SIDE = 28;
const NUM_CLASSES = 10;

/** Examples read from a silo's files, with the file they came from (said to the person running the silo). */
export interface LocalExamples {
  data: ImageDataset;
  file: string;
}

/** A silo's examples: those it trains on and, when its files hold MNIST's test split too, those it evaluates on. */
export interface LocalData {
  train: LocalExamples;
  test: LocalExamples | null;
}

/**
 * A silo's own data, from a path that is one of:
 * - a directory holding an MNIST IDX pair (`*images*idx3*` and `*labels*idx1*`, e.g. train-images-idx3-ubyte),
 *   or two pairs, one of them a test split (`t10k-*` or `*test*`): that one is never trained on, only evaluated on;
 * - a CSV file with a header, a `label` column (0-9) and 784 pixel columns (0-255), like Kaggle's mnist_train.csv.
 */
export async function loadLocalData(path: string): Promise<LocalData> {
  if ((await stat(path)).isDirectory()) return loadIdxDirectory(path);
  if (path.toLowerCase().endsWith('.csv')) return { train: { data: parseMnistCsv(await readFile(path, 'utf8')), file: basename(path) }, test: null };
  throw new Error(`${path}: expected a directory with an MNIST IDX pair or a .csv file with a label column`);
}

/** "training on train-images-idx3-ubyte (60,000 examples), evaluating locally on t10k-images-idx3-ubyte (10,000)". */
export function describeLocalData({ train, test }: LocalData): string {
  const count = (n: number) => n.toLocaleString('en-US');
  const evaluating = test ? `, evaluating locally on ${test.file} (${count(test.data.count)})` : ', no local evaluation set';
  return `training on ${train.file} (${count(train.data.count)} examples)${evaluating}`;
}

interface IdxPair {
  images: string;
  labels: string;
}

/** MNIST names its test split t10k-*; other exports say test. */
const TEST_SPLIT = /^t10k|test/i;

async function loadIdxDirectory(dir: string): Promise<LocalData> {
  const { train, test } = idxPairs(dir, await readdir(dir));
  const [trainData, testData] = await Promise.all([loadIdxPair(dir, train), test ? loadIdxPair(dir, test) : null]);
  return { train: { data: trainData, file: train.images }, test: test && testData ? { data: testData, file: test.images } : null };
}

/** The training pair and the test pair, if any; pairs are matched by what precedes `images`/`labels` in their names. */
function idxPairs(dir: string, names: string[]): { train: IdxPair; test: IdxPair | null } {
  const prefixOf = (name: string, word: string) => name.slice(0, name.indexOf(word));
  const imageFiles = names.filter((n) => /images.*idx3/.test(n));
  const labelFiles = names.filter((n) => /labels.*idx1/.test(n));
  const matched: IdxPair[] = imageFiles.flatMap((images) => {
    const labels = labelFiles.find((n) => prefixOf(n, 'labels') === prefixOf(images, 'images'));
    return labels ? [{ images, labels }] : [];
  });
  // One image file and one label file are a pair whatever their names.
  const pairs = matched.length === 0 && imageFiles.length === 1 && labelFiles.length === 1 ? [{ images: imageFiles[0]!, labels: labelFiles[0]! }] : matched;
  const tests = pairs.filter((p) => TEST_SPLIT.test(p.images));
  const trains = pairs.filter((p) => !TEST_SPLIT.test(p.images));
  if (pairs.length === 0) throw new Error(`${dir}: no IDX pair (*images*idx3* and *labels*idx1*) found`);
  if (pairs.length === 1) return { train: pairs[0]!, test: null };
  if (trains.length === 1 && tests.length === 1) return { train: trains[0]!, test: tests[0]! };
  throw new Error(
    `${dir}: ${pairs.length} IDX pairs (${pairs.map((p) => p.images).join(', ')}); keep one training pair and at most one test pair (t10k-* or *test*)`,
  );
}

async function loadIdxPair(dir: string, { images, labels }: IdxPair): Promise<ImageDataset> {
  const [imageBytes, labelBytes] = await Promise.all([readFile(join(dir, images)), readFile(join(dir, labels))]);
  const parsedImages = parseIdxImages(new Uint8Array(imageBytes));
  const parsedLabels = parseIdxLabels(new Uint8Array(labelBytes));
  if (parsedLabels.length !== parsedImages.count) {
    throw new Error(`${join(dir, images)}: ${parsedImages.count} images but ${labels} has ${parsedLabels.length} labels`);
  }
  return checked({
    count: parsedImages.count,
    height: parsedImages.rows,
    width: parsedImages.cols,
    channels: 1,
    numClasses: NUM_CLASSES,
    labels: parsedLabels,
    pixels: parsedImages.pixels,
  });
}

export function parseMnistCsv(text: string): ImageDataset {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = lines
    .shift()
    ?.split(',')
    .map((h) => h.trim().toLowerCase());
  const labelColumn = header?.indexOf('label') ?? -1;
  const size = MNIST_SIDE * MNIST_SIDE;
  if (!header || labelColumn < 0) throw new Error('CSV needs a header row with a "label" column');
  if (header.length !== size + 1) throw new Error(`CSV needs a label and ${size} pixel columns, has ${header.length} columns`);
  const labels = new Uint8Array(lines.length);
  const pixels = new Uint8Array(lines.length * size);
  lines.forEach((line, row) => {
    const cells = line.split(',');
    if (cells.length !== header.length) throw new Error(`CSV row ${row + 2} has ${cells.length} columns, the header ${header.length}`);
    let p = row * size;
    cells.forEach((cell, col) => {
      const value = Number(cell);
      if (!Number.isInteger(value) || value < 0 || value > 255) throw new Error(`CSV row ${row + 2}, column ${col + 1}: "${cell}" is not 0-255`);
      if (col === labelColumn) labels[row] = value;
      else pixels[p++] = value;
    });
  });
  return checked({ count: lines.length, height: MNIST_SIDE, width: MNIST_SIDE, channels: 1, numClasses: NUM_CLASSES, labels, pixels });
}

function checked(data: ImageDataset): ImageDataset {
  if (data.count === 0) throw new Error('the data holds no examples');
  if (data.height !== MNIST_SIDE || data.width !== MNIST_SIDE) throw new Error(`images are ${data.height}x${data.width}, the zoo models take 28x28`);
  const bad = data.labels.findIndex((l) => l >= data.numClasses);
  if (bad >= 0) throw new Error(`example ${bad} has label ${data.labels[bad]}, outside 0-${data.numClasses - 1}`);
  return data;
}
