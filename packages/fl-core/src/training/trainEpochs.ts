import * as tf from '@tensorflow/tfjs';
import { createRng, shuffleInPlace } from '../data/random.ts';
import type { TrainingConfig } from '../protocol/device.ts';
import { EventLoopYield } from './eventLoopYield.ts';
import { optimizerStep } from './optimizerStep.ts';
import { meanSoftmaxCrossEntropy } from './crossEntropy.ts';
import { proximalTerm } from './proximalTerm.ts';
import type { DatasetTensors } from './tensors.ts';
import { trainingForward } from './trainingForward.ts';

export interface TrainingProgress {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  /** Mean training loss over the batches of this epoch read so far. */
  loss: number;
}

export interface EpochOptions {
  /** Seeds the shuffle order of every epoch. */
  seed?: number;
  /** `identity` trains the examples in stored order (tests compare it with `fit` without shuffle). */
  order?: 'shuffled' | 'identity';
  /** Reads the loss back (asynchronously) every this many batches when `onProgress` is set. */
  progressEvery?: number;
  onProgress?: (p: TrainingProgress) => void;
  /** FedProx: adds mu/2 ||w - w_entry||^2 to the loss (the reported loss includes it). */
  proximalMu?: number;
}

/**
 * Flock's training loop: plain SGD on device-resident tensors. Each step is one `tf.tidy` with no
 * read, and lets the event loop run every 50 ms or so (EventLoopYield); batches are gathered on the
 * device through a shuffled index tensor uploaded once per epoch; the loss is summed on the device
 * and read back asynchronously only every `progressEvery` batches and at the end. Returns the mean loss of the last epoch.
 */
export async function trainEpochs(model: tf.LayersModel, data: DatasetTensors, config: TrainingConfig, options: EpochOptions = {}): Promise<number> {
  const count = data.xs.shape[0];
  const { batchSize, epochs } = config;
  const batches = Math.ceil(count / batchSize);
  const progressEvery = options.progressEvery ?? 10;
  const rng = createRng(options.seed ?? 0);
  const order = new Uint32Array(count).map((_, i) => i);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const forward = trainingForward(model);
  const step = optimizerStep(config);
  // The loss times the learning rate (SGD): its gradients are the steps, one subtraction per variable.
  const proximal = proximalTerm(variables, options.proximalMu ?? 0);
  const batchLoss = (xs: tf.Tensor, ys: tf.Tensor): tf.Scalar => {
    const loss = meanSoftmaxCrossEntropy(ys, forward(xs));
    return proximal ? loss.add(proximal.penalty()) : loss;
  };
  const scaledLoss = (xs: tf.Tensor, ys: tf.Tensor) => () => batchLoss(xs, ys).mul(step.lossScale) as tf.Scalar;
  const breather = new EventLoopYield();
  let epochLoss = 0;
  // An onProgress that throws (a device told to stop) unwinds here: the optimizer's state is freed all the same.
  try {
    for (let epoch = 1; epoch <= epochs; epoch++) {
      if (options.order !== 'identity') shuffleInPlace(order, rng);
      const permutation = tf.tensor1d(new Int32Array(order.buffer), 'int32');
      // Sum over batches of (learning rate x mean batch loss x batch size / batchSize): one add per full batch.
      let lossSum: tf.Scalar = tf.scalar(0);
      try {
        for (let b = 0; b < batches; b++) {
          const start = b * batchSize;
          const size = Math.min(batchSize, count - start);
          const next = tf.tidy(() => {
            const idx = permutation.slice(start, size);
            const { value: cost, grads } = tf.variableGrads(scaledLoss(tf.gather(data.xs, idx), tf.gather(data.ys, idx)), variables);
            step.apply(variables, grads);
            return lossSum.add(size === batchSize ? cost : cost.mul(size / batchSize)) as tf.Scalar;
          });
          lossSum.dispose();
          lossSum = next;
          await breather.pause();
          if (b === batches - 1 || (options.onProgress && (b + 1) % progressEvery === 0)) {
            const seen = Math.min((b + 1) * batchSize, count);
            epochLoss = ((await lossSum.data())[0]! * batchSize) / step.lossScale / seen;
            options.onProgress?.({ epoch, epochs, batch: b + 1, batches, loss: epochLoss });
          }
        }
      } finally {
        tf.dispose([permutation, lossSum]);
      }
    }
  } finally {
    step.dispose();
    proximal?.dispose();
  }
  return epochLoss;
}
