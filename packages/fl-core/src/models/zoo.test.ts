import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { datasetShape, MNIST_SHAPE, type DataShape } from '../config/datasetConfig.ts';
import { modelProblem } from '../config/modelFit.ts';
import { ModelCache } from './modelCache.ts';
import { buildModel, manifestOf, readWeights } from './zoo.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function absSum(values: Float32Array): number {
  return values.reduce((s, v) => s + Math.abs(v), 0);
}

describe('models sized by the dataset', () => {
  // Measured with the zoo as it was before models took a shape: MNIST federations keep their weights.
  it.each([
    ['mnist-mlp', 199_210, 8746.893210909591],
    ['mnist-cnn', 1_663_370, 34141.06591281511],
    ['mnist-cnn-small', 5_258, 345.63149861839906],
  ] as const)('%s on MNIST keeps its parameters and seeded weights', async (name, params, sum) => {
    const model = buildModel(name, 7, datasetShape({ kind: 'mnist', partition: 'iid', examplesPerDevice: 600, seed: 1 }));
    const weights = await readWeights(model);
    expect(weights.length).toBe(params);
    expect(absSum(weights)).toBeCloseTo(sum, 2);
    model.dispose();
  });

  it('sizes input and logits from an image schema', () => {
    const shape = datasetShape({
      kind: 'device',
      testFraction: 0.2,
      schema: { type: 'image', width: 32, height: 24, channels: 3, classes: ['cat', 'dog', 'bird'] },
    });
    expect(shape).toEqual({ inputShape: [24, 32, 3], numClasses: 3 });
    const model = buildModel('mnist-cnn-small', 1, shape);
    const logits = model.predict(tf.zeros([2, 24, 32, 3])) as tf.Tensor;
    expect(logits.shape).toEqual([2, 3]);
    tf.dispose([logits]);
    model.dispose();
  });

  it('builds tabular-mlp for CSV rows: features in, one logit per class out', () => {
    const shape = datasetShape({
      kind: 'device',
      testFraction: 0.2,
      schema: { type: 'csv', features: ['a', 'b', 'c', 'd'], label: 'species', classes: ['x', 'y', 'z'] },
    });
    expect(shape).toEqual({ inputShape: [1, 4, 1], numClasses: 3 });
    const model = buildModel('tabular-mlp', 1, shape);
    expect(manifestOf(model).map((t) => `${t.name}:${t.shape.join('x')}`)).toEqual([
      'fc1/kernel:4x64',
      'fc1/bias:64',
      'fc2/kernel:64x32',
      'fc2/bias:32',
      'logits/kernel:32x3',
      'logits/bias:3',
    ]);
    model.dispose();
  });

  it('refuses a convolutional model for data too small for its convolutions', () => {
    const csv: DataShape = { inputShape: [1, 4, 1], numClasses: 3 };
    expect(modelProblem('mnist-cnn-small', csv)).toBe(
      'model mnist-cnn-small needs images of at least 10x10, the dataset gives 1x4 (use tabular-mlp or mnist-mlp for CSV rows)',
    );
    expect(modelProblem('tabular-mlp', csv)).toBeNull();
    expect(modelProblem('mnist-cnn', MNIST_SHAPE)).toBeNull();
  });

  it('caches one model per name and shape', () => {
    const cache = new ModelCache();
    const mnist = cache.get('mnist-mlp');
    expect(cache.get('mnist-mlp', MNIST_SHAPE)).toBe(mnist);
    expect(cache.get('mnist-mlp', { inputShape: [1, 4, 1], numClasses: 3 })).not.toBe(mnist);
    cache.dispose();
  });
});
