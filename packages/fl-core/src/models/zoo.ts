import * as tf from '@tensorflow/tfjs';
import type { WeightsManifest } from '../codec/weightsCodec.ts';

import { MNIST_SHAPE, type DataShape } from '../config/datasetConfig.ts';
import type { ZooModelName } from '../protocol/modelNames.ts';

export { MODEL_NAMES, type ZooModelName } from '../protocol/modelNames.ts';

export interface ModelSpec {
  name: ZooModelName;
  description: string;
  /** Sized by the dataset: MNIST_SHAPE gives the models (and seeded weights) the zoo always had. */
  build: (seed: number, shape: DataShape) => tf.Sequential;
}

function dense(units: number, name: string, seed: number, activation: 'relu' | 'linear' = 'relu') {
  return tf.layers.dense({ units, activation, name, kernelInitializer: tf.initializers.glorotUniform({ seed }) });
}

function conv(filters: number, kernelSize: number, name: string, seed: number, padding: 'same' | 'valid') {
  return tf.layers.conv2d({
    filters,
    kernelSize,
    padding,
    activation: 'relu',
    name,
    kernelInitializer: tf.initializers.glorotUniform({ seed }),
  });
}

/** Two hidden ReLU layers over the flattened input. */
function mlp(hidden1: number, hidden2: number): ModelSpec['build'] {
  return (seed, { inputShape, numClasses }) =>
    tf.sequential({
      layers: [
        tf.layers.flatten({ inputShape, name: 'flatten' }),
        dense(hidden1, 'fc1', seed),
        dense(hidden2, 'fc2', seed + 1),
        dense(numClasses, 'logits', seed + 2, 'linear'),
      ],
    });
}

interface CnnLayout {
  kernelSize: number;
  /** One conv + 2x2 max-pool block per entry. */
  filters: number[];
  padding: 'same' | 'valid';
  /** Dense ReLU layers between the flattened features and the logits. */
  hidden: number[];
}

/** Conv + pool blocks, then dense layers; layer names and seeds count up as the zoo always named them. */
function cnn({ kernelSize, filters, padding, hidden }: CnnLayout): ModelSpec['build'] {
  return (seed, { inputShape, numClasses }) =>
    tf.sequential({
      layers: [
        tf.layers.inputLayer({ inputShape, name: 'input' }),
        ...filters.flatMap((n, i) => [conv(n, kernelSize, `conv${i + 1}`, seed + i, padding), tf.layers.maxPooling2d({ poolSize: 2, name: `pool${i + 1}` })]),
        tf.layers.flatten({ name: 'flatten' }),
        ...hidden.map((units, i) => dense(units, `fc${i + 1}`, seed + filters.length + i)),
        dense(numClasses, 'logits', seed + filters.length + hidden.length, 'linear'),
      ],
    });
}

/** Every model ends in logits (no softmax): the loss applies softmax itself, stably. */
export const MODEL_ZOO: Record<ZooModelName, ModelSpec> = {
  'mnist-mlp': {
    name: 'mnist-mlp',
    description: "FedAvg paper's 2NN: 784-200-200-10 (199,210 parameters on MNIST)",
    build: mlp(200, 200),
  },
  'mnist-cnn': {
    name: 'mnist-cnn',
    description: "FedAvg paper's CNN: conv5x5x32, pool, conv5x5x64, pool, dense512, dense10 (1,663,370 parameters on MNIST)",
    build: cnn({ kernelSize: 5, filters: [32, 64], padding: 'same', hidden: [512] }),
  },
  'mnist-cnn-small': {
    name: 'mnist-cnn-small',
    description: 'Small CNN for software WebGPU: conv3x3x8, pool, conv3x3x16, pool, dense10 (5,258 parameters on MNIST)',
    build: cnn({ kernelSize: 3, filters: [8, 16], padding: 'valid', hidden: [] }),
  },
  'tabular-mlp': {
    name: 'tabular-mlp',
    description: 'For CSV rows: features-64-32-classes',
    build: mlp(64, 32),
  },
};

export function buildModel(name: ZooModelName, seed = 0, shape: DataShape = MNIST_SHAPE): tf.Sequential {
  return MODEL_ZOO[name].build(seed, shape);
}

/** Names come from the spec (`fc1/kernel`), not tfjs's process-unique variable names. */
export function manifestOf(model: tf.LayersModel): WeightsManifest {
  return model.weights.map((w) => ({ name: w.originalName, shape: [...w.shape] as number[], dtype: 'float32' }));
}

export async function readWeights(model: tf.LayersModel): Promise<Float32Array> {
  const tensors = model.getWeights();
  const parts = await Promise.all(tensors.map((t) => t.data<'float32'>()));
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export function writeWeights(model: tf.LayersModel, values: Float32Array): void {
  let offset = 0;
  const tensors = model.weights.map((w) => {
    const size = w.shape.reduce((a: number, b) => a * (b ?? 1), 1);
    const t = tf.tensor(values.subarray(offset, offset + size), w.shape as number[], 'float32');
    offset += size;
    return t;
  });
  if (offset !== values.length) {
    tf.dispose(tensors);
    throw new RangeError(`model has ${offset} parameters, weights hold ${values.length}`);
  }
  model.setWeights(tensors);
  tf.dispose(tensors);
}
