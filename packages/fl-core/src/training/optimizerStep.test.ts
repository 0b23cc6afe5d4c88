import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../data/random.ts';
import type { ImageDataset } from '../data/dataset.ts';
import { buildModel } from '../models/zoo.ts';
import { MOMENTUM } from './optimizerStep.ts';
import { releaseResidentTensors, residentTensors } from './tensors.ts';
import { trainEpochs } from './trainEpochs.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function tinyDataset(count: number): ImageDataset {
  const rng = createRng(11);
  const pixels = new Uint8Array(count * 784).map(() => Math.floor(rng() * 256));
  const labels = new Uint8Array(count).map((_, i) => i % 10);
  return { count, height: 28, width: 28, channels: 1, numClasses: 10, labels, pixels };
}

const OPTIMIZERS = {
  momentum: (lr: number) => tf.train.momentum(lr, MOMENTUM),
  adam: (lr: number) => tf.train.adam(lr),
};

describe('optimizerStep', () => {
  it.each(['momentum', 'adam'] as const)('trainEpochs with %s follows fit with the same tfjs optimizer, and leaks no tensor', async (optimizer) => {
    const data = tinyDataset(40);
    const config = { epochs: 3, batchSize: 8, learningRate: optimizer === 'adam' ? 0.001 : 0.05, optimizer };
    const reference = buildModel('mnist-mlp', 5);
    const tfOptimizer = OPTIMIZERS[optimizer](config.learningRate);
    reference.compile({ optimizer: tfOptimizer, loss: (y: tf.Tensor, p: tf.Tensor) => tf.losses.softmaxCrossEntropy(y, p) });
    const tensors = residentTensors(data);
    const history = await reference.fit(tensors.xs, tensors.ys, { batchSize: 8, epochs: 3, shuffle: false, verbose: 0 });
    const expected = (history.history.loss as number[]).at(-1)!;
    reference.dispose();
    tfOptimizer.dispose();

    const model = buildModel('mnist-mlp', 5);
    const before = tf.memory().numTensors;
    const loss = await trainEpochs(model, tensors, config, { seed: 0, order: 'identity' });
    expect(tf.memory().numTensors).toBe(before);
    expect(loss).toBeCloseTo(expected, 3);
    model.dispose();
    releaseResidentTensors();
  });
});
