import * as tf from '@tensorflow/tfjs';
import type { ImageDataset } from '../data/dataset.ts';
import { batchStats, datasetToTensors } from './tensors.ts';

export interface Evaluation {
  loss: number;
  accuracy: number;
  examples: number;
}

/** Mean loss and accuracy of `model` on `data`; reads back asynchronously, once. */
export async function evaluateModel(model: tf.LayersModel, data: ImageDataset, batchSize = 500): Promise<Evaluation> {
  const { xs, ys } = datasetToTensors(data);
  let lossSum = tf.scalar(0);
  let correct = tf.scalar(0);
  try {
    for (let start = 0; start < data.count; start += batchSize) {
      const size = Math.min(batchSize, data.count - start);
      const [nextLoss, nextCorrect] = tf.tidy(() => {
        const logits = model.predict(xs.slice(start, size)) as tf.Tensor;
        const stats = batchStats(logits, ys.slice(start, size));
        return [lossSum.add(stats.lossSum), correct.add(stats.correct)];
      });
      lossSum.dispose();
      correct.dispose();
      lossSum = nextLoss as tf.Scalar;
      correct = nextCorrect as tf.Scalar;
    }
    const [loss, right] = await Promise.all([lossSum.data(), correct.data()]);
    return { loss: loss[0]! / data.count, accuracy: right[0]! / data.count, examples: data.count };
  } finally {
    tf.dispose([xs, ys, lossSum, correct]);
  }
}
