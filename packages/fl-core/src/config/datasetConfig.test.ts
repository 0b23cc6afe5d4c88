import { describe, expect, it } from 'vitest';
import { MINIMAL_CONFIG } from '../testing/configFixture.ts';
import { classNames, DatasetConfig, datasetProblem, demoDataset, describeDataset } from './datasetConfig.ts';
import { FederationConfig } from './federation.ts';

const storedConfig = MINIMAL_CONFIG;

const csv = { type: 'csv', features: ['f1', 'f2', 'f3', 'f4'], label: 'label', classes: ['a', 'b', 'c'] };

function reason(input: unknown): string {
  const parsed = DatasetConfig.safeParse(input);
  if (parsed.success) throw new Error('expected a refusal');
  return parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
}

describe('dataset config', () => {
  it('still parses a stored MNIST config, as the demo dataset it was', () => {
    const parsed = FederationConfig.parse(storedConfig);
    expect(parsed.dataset).toEqual(storedConfig.dataset);
    expect(demoDataset(parsed.dataset)).toEqual(storedConfig.dataset);
    expect(describeDataset(parsed.dataset)).toBe('mnist, iid partition');
  });

  it('parses device data with a CSV or image schema, holding out 20% by default', () => {
    const parsed = FederationConfig.parse({ ...storedConfig, model: 'tabular-mlp', dataset: { kind: 'device', schema: csv } });
    expect(parsed.dataset).toEqual({ kind: 'device', schema: csv, testFraction: 0.2 });
    expect(demoDataset(parsed.dataset)).toBeNull();
    expect(describeDataset(parsed.dataset)).toBe('device data: CSV with 4 features, 3 classes');
    const image = DatasetConfig.parse({
      kind: 'device',
      testFraction: 0.1,
      schema: { type: 'image', width: 28, height: 28, channels: 1, classes: ['cat', 'dog'] },
    });
    expect(describeDataset(image)).toBe('device data: 28x28x1 images, 2 classes');
    expect(classNames(image)).toEqual(['cat', 'dog']);
    expect(classNames(storedConfig.dataset as DatasetConfig)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  });

  it('refuses inconsistent schemas with the reason', () => {
    expect(reason({ kind: 'device', schema: { ...csv, features: ['label', 'f2'] } })).toBe('schema: the label column cannot also be a feature');
    expect(reason({ kind: 'device', schema: { ...csv, classes: ['a', 'a'] } })).toBe('schema.classes: class names must be unique');
    expect(reason({ kind: 'device', schema: { type: 'image', width: 28, height: 28, channels: 2, classes: ['a', 'b'] } })).toMatch(/^schema\.channels: /);
    expect(reason({ kind: 'device', schema: csv, testFraction: 0.95 })).toMatch(/^testFraction: /);
    expect(reason({ kind: 'cifar' })).toMatch(/^kind: /);
  });

  it('explains a pool larger than MNIST and a misplaced alpha', () => {
    const base = { kind: 'mnist', partition: 'iid', examplesPerDevice: 600, seed: 3 } as const;
    expect(datasetProblem({ ...base, numDevices: 200 })).toMatch(/exceeds the 60000/);
    expect(datasetProblem({ ...base, alpha: 0.5 })).toMatch(/dirichlet/);
    expect(datasetProblem({ ...base, partition: 'dirichlet', alpha: 0.5 })).toBeNull();
  });
});
