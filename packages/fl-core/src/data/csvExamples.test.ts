import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeWeights } from '../codec/weightsCodec.ts';
import { buildModel, manifestOf, readWeights } from '../models/zoo.ts';
import type { CsvSchema } from '../config/datasetConfig.ts';
import { RoundTrainer } from '../training/roundTrainer.ts';
import { describeProblems, parseCsvExamples, type ImportResult } from './csvExamples.ts';
import { dataShapeOf } from './dataset.ts';
import { splitLocal } from './localSplit.ts';

const schema: CsvSchema = { type: 'csv', features: ['sepal_length', 'petal_width'], label: 'species', classes: ['setosa', 'versicolor'] };

function problems(result: ImportResult): string {
  if (result.ok) throw new Error('expected the file to be refused');
  return describeProblems(result);
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('CSV import against the schema', () => {
  it('reads the feature columns by name, in schema order, and labels as class indices', () => {
    const result = parseCsvExamples('species,petal_width,id,sepal_length\nversicolor,1.5,a,6.1\r\nsetosa,0.2,b,5.0\n\n', schema);
    if (!result.ok) throw new Error(describeProblems(result));
    expect(result.data.count).toBe(2);
    expect([...result.data.labels]).toEqual([1, 0]);
    expect([...result.data.features!]).toEqual([6.1, 1.5, 5, 0.2].map(Math.fround));
    expect(dataShapeOf(result.data)).toEqual({ inputShape: [1, 2, 1], numClasses: 2 });
  });

  it('names the row, the column and the value that is wrong, first bad row first', () => {
    const csv = [
      'sepal_length,petal_width,species',
      '5.1,0.2,setosa',
      '4.9,abc,setosa',
      '6.0,1.1,x',
      '6.0,,versicolor',
      '6.0,1.1',
    ].join('\n');
    expect(problems(parseCsvExamples(csv, schema))).toBe(
      'row 3: column petal_width is "abc", not a number; row 4: label "x" is not one of setosa, versicolor; ' +
        'row 5: column petal_width is empty; row 6: 2 values, the header has 3 columns',
    );
  });

  it('says which columns the header lacks, and refuses a file with no examples', () => {
    expect(problems(parseCsvExamples('sepal_length,label\n1,setosa', schema))).toBe(
      'the header row has no column "petal_width", "species" (the federation needs sepal_length, petal_width, species)',
    );
    expect(problems(parseCsvExamples('sepal_length,petal_width,species\n', schema))).toBe('the file holds no examples, only a header');
  });

  it('lists ten problems and counts the rest', () => {
    const rows = Array.from({ length: 25 }, (_, i) => `${i},1,dog`);
    const text = problems(parseCsvExamples(['sepal_length,petal_width,species', ...rows].join('\n'), schema));
    expect(text.startsWith('row 2: label "dog" is not one of setosa, versicolor; row 3:')).toBe(true);
    expect(text.endsWith('; and 15 more')).toBe(true);
  });
});

describe('own data in a round', () => {
  it('trains tabular-mlp on imported rows and evaluates the received model on the held-out split', async () => {
    const rows = Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? `${0.1 + (i % 7) / 100},0.1,setosa` : `${0.9 - (i % 5) / 100},0.9,versicolor`));
    const result = parseCsvExamples(['sepal_length,petal_width,species', ...rows].join('\n'), schema);
    if (!result.ok) throw new Error(describeProblems(result));
    const { train, test } = splitLocal(result.data, 0.25, 'device-1');
    expect([train.count, test?.count]).toEqual([45, 15]);
    const initial = buildModel('tabular-mlp', 1, dataShapeOf(result.data));
    const weights = encodeWeights(manifestOf(initial), await readWeights(initial), 'weights');
    initial.dispose();
    const trainer = new RoundTrainer();
    const job = { round: 1, model: 'tabular-mlp' as const, weights, config: { epochs: 2, batchSize: 5, learningRate: 0.1 }, shardId: 'own-1' };
    const outcome = await trainer.train(job, train, { evaluateOn: test });
    expect(outcome.numExamples).toBe(45);
    expect(outcome.evaluation?.examples).toBe(15);
    expect(outcome.evaluation?.loss).toBeGreaterThan(0);
    trainer.dispose();
  });

  it('holds out the same examples every time, at least one and never all', () => {
    const data = { count: 10, height: 1, width: 1, channels: 1, numClasses: 2, labels: new Uint8Array(10), pixels: new Uint8Array(0), features: Float32Array.from({ length: 10 }, (_, i) => i) };
    const a = splitLocal(data, 0.2, 'same');
    expect([...a.test!.features!]).toEqual([...splitLocal(data, 0.2, 'same').test!.features!]);
    expect(a.train.count + a.test!.count).toBe(10);
    expect(splitLocal({ ...data, count: 2 }, 0.01, 'x').test?.count).toBe(1);
    expect(splitLocal(data, 0, 'x').test).toBeNull();
  });
});
