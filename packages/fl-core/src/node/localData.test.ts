import { copyFile, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeLocalData, loadLocalData, parseMnistCsv } from './localData.ts';
import { mnistDataDir } from './mnistFiles.ts';

const header = ['label', ...Array.from({ length: 784 }, (_, i) => `pixel${i}`)].join(',');
const row = (label: number, value: number) => [label, ...Array.from({ length: 784 }, () => value)].join(',');

describe('loadLocalData', () => {
  it('reads a CSV with a label column into 28x28 examples', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flock-csv-'));
    const path = join(dir, 'silo.csv');
    await writeFile(path, `${header}\n${row(3, 0)}\n${row(7, 255)}\n`);
    const { train, test } = await loadLocalData(path);
    const data = train.data;
    expect([train.file, test]).toEqual(['silo.csv', null]);
    expect(data.count).toBe(2);
    expect([...data.labels]).toEqual([3, 7]);
    expect(data.pixels[784]).toBe(255);
  });

  it('explains a CSV without a label column, a bad pixel and a label outside 0-9', () => {
    expect(() => parseMnistCsv(`a,b\n1,2\n`)).toThrow(/label/);
    expect(() => parseMnistCsv(`${header}\n${row(3, 300)}\n`)).toThrow(/row 2.*not 0-255/);
    expect(() => parseMnistCsv(`${header}\n${row(12, 0)}\n`)).toThrow(/label 12/);
  });

  it('reads a folder holding both MNIST splits as train, with the test pair for local evaluation only, and says which files it took', async () => {
    const local = await loadLocalData(mnistDataDir());
    expect([local.train.file, local.train.data.count]).toEqual(['train-images-idx3-ubyte', 60_000]);
    expect([local.test?.file, local.test?.data.count]).toEqual(['t10k-images-idx3-ubyte', 10_000]);
    expect(describeLocalData(local)).toBe('training on train-images-idx3-ubyte (60,000 examples), evaluating locally on t10k-images-idx3-ubyte (10,000)');
  });

  it('refuses a folder whose IDX pairs are not one training pair and one test pair, naming them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flock-idx-'));
    for (const prefix of ['a', 'b']) {
      await copyFile(join(mnistDataDir(), 't10k-images-idx3-ubyte'), join(dir, `${prefix}-images-idx3-ubyte`));
      await copyFile(join(mnistDataDir(), 't10k-labels-idx1-ubyte'), join(dir, `${prefix}-labels-idx1-ubyte`));
    }
    await expect(loadLocalData(dir)).rejects.toThrow(/2 IDX pairs \(a-images-idx3-ubyte, b-images-idx3-ubyte\); keep one training pair/);
  });
});
