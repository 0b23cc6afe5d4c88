import * as tf from '@tensorflow/tfjs';
import type { ImageDataset } from '../data/dataset.ts';

export interface DatasetTensors {
  /** [N, H, W, C] float32 in [0, 1] */
  xs: tf.Tensor4D;
  /** [N, numClasses] one-hot float32 */
  ys: tf.Tensor2D;
}

/** Uploads a dataset once; the caller disposes both tensors. */
export function datasetToTensors(d: ImageDataset): DatasetTensors {
  return tf.tidy(() => {
    const raw = tf.tensor4d(Int32Array.from(d.pixels), [d.count, d.height, d.width, d.channels], 'int32');
    const xs = raw.toFloat().div(255) as tf.Tensor4D;
    const ys = tf.oneHot(tf.tensor1d(Int32Array.from(d.labels), 'int32'), d.numClasses).toFloat() as tf.Tensor2D;
    return { xs, ys };
  });
}

/** Sum of softmax cross-entropy and count of correct predictions over a batch of logits. */
export function batchStats(logits: tf.Tensor, ys: tf.Tensor): { lossSum: tf.Scalar; correct: tf.Scalar } {
  return tf.tidy(() => {
    const losses = tf.losses.softmaxCrossEntropy(ys, logits, undefined, undefined, tf.Reduction.NONE);
    const correct = tf.equal(tf.argMax(logits, -1), tf.argMax(ys, -1)).toFloat().sum() as tf.Scalar;
    return { lossSum: losses.sum() as tf.Scalar, correct };
  });
}
