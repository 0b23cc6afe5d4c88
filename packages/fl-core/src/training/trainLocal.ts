import * as tf from '@tensorflow/tfjs';
import type { ImageDataset } from '../data/dataset.ts';
import { createRng, shuffleInPlace } from '../data/random.ts';
import { readWeights } from '../models/zoo.ts';
import type { TrainingConfig } from '../protocol/messages.ts';
import { evaluateModel } from './evaluate.ts';
import { datasetToTensors } from './tensors.ts';

export interface TrainingProgress {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  /** Mean training loss over the batches of this epoch read so far. */
  loss: number;
}

export interface LocalTrainingResult {
  /** Trained weights minus the weights the model held on entry. */
  delta: Float32Array;
  numExamples: number;
  /** Mean training loss of the last epoch. */
  loss: number;
  /** Accuracy of the trained model on the local examples. */
  accuracy: number;
}

export interface TrainLocalOptions {
  seed?: number;
  /** Reads the loss back (asynchronously) every this many batches; never per batch by default. */
  progressEvery?: number;
  onProgress?: (p: TrainingProgress) => void;
}

/**
 * Trains `model` in place on `data` with plain SGD and returns its delta. Every per-batch step runs
 * inside tf.tidy; the only reads are awaited `data()` calls every `progressEvery` batches.
 */
export async function trainLocal(
  model: tf.LayersModel,
  data: ImageDataset,
  config: TrainingConfig,
  options: TrainLocalOptions = {},
): Promise<LocalTrainingResult> {
  const initial = await readWeights(model);
  const rng = createRng(options.seed ?? 0);
  const batches = Math.ceil(data.count / config.batchSize);
  const progressEvery = options.progressEvery ?? 10;
  const optimizer = tf.train.sgd(config.learningRate);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { xs, ys } = datasetToTensors(data);
  const order = Array.from({ length: data.count }, (_, i) => i);
  let epochLoss = 0;
  try {
    for (let epoch = 1; epoch <= config.epochs; epoch++) {
      shuffleInPlace(order, rng);
      let lossSum = tf.scalar(0);
      for (let b = 0; b < batches; b++) {
        const indices = order.slice(b * config.batchSize, (b + 1) * config.batchSize);
        const next = tf.tidy(() => {
          const idx = tf.tensor1d(indices, 'int32');
          const bx = tf.gather(xs, idx);
          const by = tf.gather(ys, idx);
          const cost = optimizer.minimize(
            () => tf.losses.softmaxCrossEntropy(by, model.apply(bx, { training: true }) as tf.Tensor) as tf.Scalar,
            true,
            variables,
          )!;
          return lossSum.add(cost.mul(indices.length)) as tf.Scalar;
        });
        lossSum.dispose();
        lossSum = next;
        const isLast = b === batches - 1;
        if (isLast || (options.onProgress && (b + 1) % progressEvery === 0)) {
          const seen = Math.min((b + 1) * config.batchSize, data.count);
          epochLoss = (await lossSum.data())[0]! / seen;
          options.onProgress?.({ epoch, epochs: config.epochs, batch: b + 1, batches, loss: epochLoss });
        }
      }
      lossSum.dispose();
    }
  } finally {
    tf.dispose([xs, ys]);
    optimizer.dispose();
  }
  const trained = await readWeights(model);
  const delta = new Float32Array(trained.length);
  for (let i = 0; i < delta.length; i++) delta[i] = trained[i]! - initial[i]!;
  const { accuracy } = await evaluateModel(model, data);
  return { delta, numExamples: data.count, loss: epochLoss, accuracy };
}
