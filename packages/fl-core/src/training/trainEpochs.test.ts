import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../data/random.ts';
import type { ImageDataset } from '../data/dataset.ts';
import { buildModel, type ZooModelName } from '../models/zoo.ts';
import { releaseResidentTensors, residentTensors } from './tensors.ts';
import { trainEpochs } from './trainEpochs.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function tinyDataset(count: number): ImageDataset {
  const rng = createRng(7);
  const pixels = new Uint8Array(count * 784).map(() => Math.floor(rng() * 256));
  const labels = new Uint8Array(count).map((_, i) => i % 10);
  return { count, height: 28, width: 28, channels: 1, numClasses: 10, labels, pixels };
}

/** Per-epoch loss of tfjs-layers `fit` (no shuffle) from the same initial weights. */
async function fitLosses(name: ZooModelName, data: ImageDataset, epochs: number, batchSize: number, learningRate: number) {
  const model = buildModel(name, 5);
  const optimizer = tf.train.sgd(learningRate);
  model.compile({ optimizer, loss: (y: tf.Tensor, p: tf.Tensor) => tf.losses.softmaxCrossEntropy(y, p) });
  const { xs, ys } = residentTensors(data);
  const history = await model.fit(xs, ys, { batchSize, epochs, shuffle: false, verbose: 0 });
  model.dispose();
  optimizer.dispose();
  return history.history.loss as number[];
}

describe('trainEpochs', () => {
  it.each(['mnist-mlp', 'mnist-cnn-small'] as const)(
    '%s: follows the same loss trajectory as fit from the same weights and order, and leaks no tensor',
    async (name) => {
      const data = tinyDataset(40);
      const config = { epochs: 1, batchSize: 8, learningRate: 0.1 };
      const expected = await fitLosses(name, data, 4, config.batchSize, config.learningRate);
      const model = buildModel(name, 5);
      const tensors = residentTensors(data);
      // No shuffle: the identity order, as fit's shuffle: false (epoch losses are means over batches of 8).
      const identity = { seed: 0, order: 'identity' as const };
      const losses: number[] = [];
      const before = tf.memory().numTensors;
      for (let epoch = 0; epoch < 4; epoch++) losses.push(await trainEpochs(model, tensors, config, identity));
      expect(tf.memory().numTensors).toBe(before);
      for (let i = 0; i < 4; i++) expect(losses[i]).toBeCloseTo(expected[i]!, 4);
      expect(losses[3]).toBeLessThan(losses[0]!);
      model.dispose();
      releaseResidentTensors();
    },
    // fit on a CNN on cpu takes most of a minute on a shared 2-core machine.
    180_000,
  );

  it('frees every tensor it made when onProgress throws to stop it (a device told its round was called off)', async () => {
    const model = buildModel('mnist-mlp', 5);
    const tensors = residentTensors(tinyDataset(40));
    const before = tf.memory().numTensors;
    const stop = () => {
      throw new Error('stopped');
    };
    const config = { epochs: 2, batchSize: 8, learningRate: 0.1, optimizer: 'momentum' as const };
    await expect(trainEpochs(model, tensors, config, { progressEvery: 1, onProgress: stop })).rejects.toThrow('stopped');
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
    releaseResidentTensors();
  });
});
