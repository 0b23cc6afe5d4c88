import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageDataset } from '../data/dataset.ts';
import { parseIdxImages, parseIdxLabels } from '../data/mnistIdx.ts';

const MNIST_SIDE = 28;
const NUM_CLASSES = 10;

/**
 * A silo's own training data, from a path that is one of:
 * - a directory holding an MNIST IDX pair (`*images*idx3*` and `*labels*idx1*`, e.g. train-images-idx3-ubyte);
 * - a CSV file with a header, a `label` column (0-9) and 784 pixel columns (0-255), like Kaggle's mnist_train.csv.
 */
export async function loadLocalData(path: string): Promise<ImageDataset> {
  if ((await stat(path)).isDirectory()) return loadIdxPair(path);
  if (path.toLowerCase().endsWith('.csv')) return parseMnistCsv(await readFile(path, 'utf8'));
  throw new Error(`${path}: expected a directory with an MNIST IDX pair or a .csv file with a label column`);
}

async function loadIdxPair(dir: string): Promise<ImageDataset> {
  const names = await readdir(dir);
  const images = names.find((n) => /images.*idx3/.test(n));
  const labels = names.find((n) => /labels.*idx1/.test(n));
  if (!images || !labels) throw new Error(`${dir}: no IDX pair (*images*idx3* and *labels*idx1*) found`);
  const [imageBytes, labelBytes] = await Promise.all([readFile(join(dir, images)), readFile(join(dir, labels))]);
  const parsedImages = parseIdxImages(new Uint8Array(imageBytes));
  const parsedLabels = parseIdxLabels(new Uint8Array(labelBytes));
  if (parsedLabels.length !== parsedImages.count) {
    throw new Error(`${dir}: ${parsedImages.count} images but ${parsedLabels.length} labels`);
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
  const header = lines.shift()?.split(',').map((h) => h.trim().toLowerCase());
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
