import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadLocalData, parseMnistCsv } from './localData.ts';

const header = ['label', ...Array.from({ length: 784 }, (_, i) => `pixel${i}`)].join(',');
const row = (label: number, value: number) => [label, ...Array.from({ length: 784 }, () => value)].join(',');

describe('loadLocalData', () => {
  it('reads a CSV with a label column into 28x28 examples', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flock-csv-'));
    const path = join(dir, 'silo.csv');
    await writeFile(path, `${header}\n${row(3, 0)}\n${row(7, 255)}\n`);
    const data = await loadLocalData(path);
    expect(data.count).toBe(2);
    expect([...data.labels]).toEqual([3, 7]);
    expect(data.pixels[784]).toBe(255);
  });

  it('explains a CSV without a label column, a bad pixel and a label outside 0-9', () => {
    expect(() => parseMnistCsv(`a,b\n1,2\n`)).toThrow(/label/);
    expect(() => parseMnistCsv(`${header}\n${row(3, 300)}\n`)).toThrow(/row 2.*not 0-255/);
    expect(() => parseMnistCsv(`${header}\n${row(12, 0)}\n`)).toThrow(/label 12/);
  });
});
