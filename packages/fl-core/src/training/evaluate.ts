import * as tf from '@tensorflow/tfjs';
import type { ImageDataset } from '../data/dataset.ts';
import { EventLoopYield } from './eventLoopYield.ts';
import { batchStats, datasetToTensors, type DatasetTensors } from './tensors.ts';

export interface Evaluation {
  loss: number;
  accuracy: number;
  examples: number;
}

/** Mean loss and accuracy of `model` on `data`; reads back asynchronously, once. */
export async function evaluateModel(model: tf.LayersModel, data: ImageDataset, batchSize = 500): Promise<Evaluation> {
  const tensors = datasetToTensors(data);
  try {
    return await evaluateTensors(model, tensors, batchSize);
  } finally {
    tf.dispose([tensors.xs, tensors.ys]);
  }
}

/** The same on tensors already on the backend (the caller keeps them). */
export async function evaluateTensors(model: tf.LayersModel, { xs, ys }: DatasetTensors, batchSize = 500): Promise<Evaluation> {
  const count = xs.shape[0];
  let lossSum = tf.scalar(0);
  let correct = tf.scalar(0);
  const breather = new EventLoopYield();
  try {
    for (let start = 0; start < count; start += batchSize) {
      const size = Math.min(batchSize, count - start);
      const [nextLoss, nextCorrect] = tf.tidy(() => {
        const logits = model.predict(xs.slice(start, size)) as tf.Tensor;
        const stats = batchStats(logits, ys.slice(start, size));
        return [lossSum.add(stats.lossSum), correct.add(stats.correct)];
      });
      lossSum.dispose();
      correct.dispose();
      lossSum = nextLoss as tf.Scalar;
      correct = nextCorrect as tf.Scalar;
      await breather.pause();
    }
    const [loss, right] = await Promise.all([lossSum.data(), correct.data()]);
    return { loss: loss[0]! / count, accuracy: right[0]! / count, examples: count };
  } finally {
    tf.dispose([lossSum, correct]);
  }
}

/** The label `model` predicts for each example of `data` (the argmax of its logits), read back one batch at a time. */
export async function predictLabels(model: tf.LayersModel, data: ImageDataset, batchSize = 500): Promise<Int32Array> {
  const { xs, ys } = datasetToTensors(data);
  const labels = new Int32Array(data.count);
  const breather = new EventLoopYield();
  try {
    for (let start = 0; start < data.count; start += batchSize) {
      const size = Math.min(batchSize, data.count - start);
      const predicted = tf.tidy(() => tf.argMax(model.predict(xs.slice(start, size)) as tf.Tensor, -1));
      try {
        labels.set(await predicted.data(), start);
      } finally {
        predicted.dispose();
      }
      await breather.pause();
    }
    return labels;
  } finally {
    tf.dispose([xs, ys]);
  }
}
