import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DatasetConfig } from '../config/datasetConfig.ts';
import { loadSiloData } from './siloData.ts';

const dataset: DatasetConfig = {
  kind: 'device',
  testFraction: 0.25,
  schema: { type: 'csv', features: ['x', 'y'], label: 'class', classes: ['a', 'b'] },
};

async function csvFile(text: string): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), 'flock-silo-csv-')), 'data.csv');
  await writeFile(path, text);
  return path;
}

describe('flockctl client data for a device-data federation', () => {
  it('checks the CSV against the schema and holds out the test fraction', async () => {
    const rows = Array.from({ length: 8 }, (_, i) => `${i},${i / 2},${i % 2 === 0 ? 'a' : 'b'}`);
    const { train, test } = await loadSiloData(await csvFile(['x,y,class', ...rows].join('\n')), dataset, 'silo-1');
    expect([train.data.count, test?.data.count]).toEqual([6, 2]);
    expect([train.file, test?.file]).toEqual(['data.csv', 'data.csv (held out)']);
    expect(train.data.features).toBeInstanceOf(Float32Array);
  });

  it('refuses a CSV that does not match, naming the row', async () => {
    await expect(loadSiloData(await csvFile('x,y,class\n1,2,a\n1,2,c\n'), dataset, 'silo-1')).rejects.toThrow(
      /data\.csv refused: row 3: label "c" is not one of a, b$/,
    );
  });
});
