import * as tf from '@tensorflow/tfjs';
import type { ImageDataset } from '../data/dataset.ts';

export interface DatasetTensors {
  /** [N, H, W, C] float32: pixels in [0, 1], tabular features as they are */
  xs: tf.Tensor4D;
  /** [N, numClasses] one-hot float32 */
  ys: tf.Tensor2D;
}

/**
 * Uploads a dataset once: the raw bytes go up as integers and are cast and normalised on the
 * backend (the GPU, on webgpu/webgl), never as floats built in JS. The caller disposes both tensors.
 */
export function datasetToTensors(d: ImageDataset): DatasetTensors {
  return tf.tidy(() => {
    const shape: [number, number, number, number] = [d.count, d.height, d.width, d.channels];
    const xs = d.features
      ? tf.tensor4d(d.features, shape, 'float32')
      : (tf
          .tensor4d(d.pixels, shape, 'int32')
          .toFloat()
          .mul(1 / 255) as tf.Tensor4D);
    const ys = tf.oneHot(tf.tensor1d(d.labels, 'int32'), d.numClasses).toFloat() as tf.Tensor2D;
    return { xs, ys };
  });
}

let resident: { data: ImageDataset; tensors: DatasetTensors } | null = null;

/**
 * The dataset's tensors, uploaded on first use and kept on the device while the same dataset
 * object is trained again (round after round). A different dataset replaces them: one shard is
 * resident at a time, so the live tensor count stays flat across rounds.
 */
export function residentTensors(d: ImageDataset): DatasetTensors {
  if (resident?.data === d) return resident.tensors;
  releaseResidentTensors();
  resident = { data: d, tensors: datasetToTensors(d) };
  return resident.tensors;
}

/** Frees the resident dataset's tensors (before switching backend, or when done training). */
export function releaseResidentTensors(): void {
  if (resident) tf.dispose([resident.tensors.xs, resident.tensors.ys]);
  resident = null;
}

/** Sum of softmax cross-entropy and count of correct predictions over a batch of logits. */
export function batchStats(logits: tf.Tensor, ys: tf.Tensor): { lossSum: tf.Scalar; correct: tf.Scalar } {
  return tf.tidy(() => {
    const losses = tf.losses.softmaxCrossEntropy(ys, logits, undefined, undefined, tf.Reduction.NONE);
    const correct = tf.equal(tf.argMax(logits, -1), tf.argMax(ys, -1)).toFloat().sum() as tf.Scalar;
    return { lossSum: losses.sum() as tf.Scalar, correct };
  });
}
