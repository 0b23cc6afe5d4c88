// Run by wgslTrainer.test.ts in a Node process of its own, started with Dawn's Vulkan loader and
// SwiftShader on its library path (a test worker cannot change where its dynamic loader looks).
// Prints one JSON line: what the test asserts.
import * as tf from '@tensorflow/tfjs';
import type { ImageDataset } from '../../data/dataset.ts';
import { createRng } from '../../data/random.ts';
import { buildModel, readWeights, writeWeights, type ZooModelName } from '../../models/zoo.ts';
import { chooseNodeBackend } from '../../node/nodeBackend.ts';
import type { TrainingConfig } from '../../protocol/device.ts';
import { releaseResidentTensors, residentTensors } from '../tensors.ts';
import { trainEpochs } from '../trainEpochs.ts';
import { countDispatches } from './dispatchCounter.ts';
import { tfjsWebGpuDevice, WgslTrainer } from './wgslTrainer.ts';

/** The zoo's models, and a CNN with what the zoo lacks: an even same-padded kernel, overlapping pooling windows, tanh and sigmoid. */
export type ParityModel = ZooModelName | 'overlapping-pool-cnn';

export interface ParityCase {
  model: ParityModel;
  name: string;
  config: TrainingConfig;
  proximalMu: number;
}

export interface ParityReport {
  cases: { model: ParityModel; name: string; tfjsLoop: number[]; wgsl: number[]; maxWeightDifference: number }[];
  /** Per model, live GPU buffers on the device after each training of its engine. */
  liveBuffers: Partial<Record<ParityModel, number[]>>;
  /** Per model, the most of its cases' (FedProx's adds one dispatch per epoch). */
  dispatchesPerStep: Partial<Record<ParityModel, number>>;
  /** Per-epoch losses of a tanh / dropout / sigmoid model. */
  dropoutLosses: number[];
}

/** The MLP runs every optimizer; the CNNs (slow on tfjs's cpu kernels and on SwiftShader) fewer examples and cases. */
const CASES: ParityCase[] = [
  { model: 'mnist-mlp', name: 'sgd', config: { epochs: 3, batchSize: 32, learningRate: 0.05 }, proximalMu: 0 },
  { model: 'mnist-mlp', name: 'momentum', config: { epochs: 3, batchSize: 32, learningRate: 0.05, optimizer: 'momentum' }, proximalMu: 0 },
  { model: 'mnist-mlp', name: 'adam', config: { epochs: 3, batchSize: 32, learningRate: 0.001, optimizer: 'adam' }, proximalMu: 0 },
  { model: 'mnist-mlp', name: 'sgd with FedProx', config: { epochs: 3, batchSize: 32, learningRate: 0.05 }, proximalMu: 0.1 },
  { model: 'mnist-cnn-small', name: 'sgd', config: { epochs: 3, batchSize: 16, learningRate: 0.05 }, proximalMu: 0 },
  { model: 'mnist-cnn-small', name: 'adam', config: { epochs: 3, batchSize: 16, learningRate: 0.001, optimizer: 'adam' }, proximalMu: 0 },
  { model: 'mnist-cnn', name: 'sgd', config: { epochs: 3, batchSize: 8, learningRate: 0.05 }, proximalMu: 0 },
  { model: 'overlapping-pool-cnn', name: 'momentum', config: { epochs: 3, batchSize: 16, learningRate: 0.05, optimizer: 'momentum' }, proximalMu: 0 },
];
const EXAMPLES: Record<ParityModel, number> = { 'mnist-mlp': 128, 'mnist-cnn-small': 64, 'mnist-cnn': 16, 'overlapping-pool-cnn': 64, 'tabular-mlp': 128 };
const SEED = 3;

function shard(count: number): ImageDataset {
  const rng = createRng(7);
  const pixels = new Uint8Array(count * 784).map(() => Math.floor(rng() * 256));
  const labels = new Uint8Array(count).map((_, i) => i % 10);
  return { count, height: 28, width: 28, channels: 1, numClasses: 10, labels, pixels };
}

function build(name: ParityModel): tf.Sequential {
  if (name !== 'overlapping-pool-cnn') return buildModel(name, 1);
  const kernelInitializer = (seed: number) => tf.initializers.glorotUniform({ seed });
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 4, kernelSize: 4, padding: 'same', activation: 'tanh', kernelInitializer: kernelInitializer(4) }),
      tf.layers.maxPooling2d({ poolSize: 3, strides: 2 }),
      tf.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'sigmoid', kernelInitializer: kernelInitializer(5) }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 10, kernelInitializer: kernelInitializer(6) }),
    ],
  });
}

/** The tfjs loop's per-epoch losses and trained weights, on tfjs's cpu kernels. */
async function tfjsLoop(initial: Float32Array, data: ImageDataset, c: ParityCase): Promise<{ losses: number[]; weights: Float32Array }> {
  await tf.setBackend('cpu');
  const model = build(c.model);
  writeWeights(model, initial);
  const losses: number[] = [];
  await trainEpochs(model, residentTensors(data), c.config, {
    seed: SEED,
    proximalMu: c.proximalMu,
    onProgress: (p) => {
      if (p.batch === p.batches) losses.push(p.loss);
    },
  });
  const weights = await readWeights(model);
  releaseResidentTensors();
  model.dispose();
  await tf.setBackend('webgpu');
  return { losses, weights };
}

function liveBufferCounter(device: GPUDevice): () => number {
  let live = 0;
  const create = device.createBuffer.bind(device);
  device.createBuffer = (descriptor: GPUBufferDescriptor) => {
    const buffer = create(descriptor);
    live++;
    const destroy = buffer.destroy.bind(buffer);
    buffer.destroy = () => {
      live--;
      destroy();
    };
    return buffer;
  };
  return () => live;
}

async function main(): Promise<ParityReport | { noAdapter: string }> {
  const choice = await chooseNodeBackend('webgpu').catch((err: unknown) => (err instanceof Error ? err.message : String(err)));
  if (typeof choice === 'string') return { noAdapter: choice };
  const device = tfjsWebGpuDevice()!;
  const live = liveBufferCounter(device);
  const cases: ParityReport['cases'] = [];
  const liveBuffers: ParityReport['liveBuffers'] = {};
  const dispatchesPerStep: ParityReport['dispatchesPerStep'] = {};
  for (const name of new Set(CASES.map((c) => c.model))) {
    const data = shard(EXAMPLES[name]);
    const model = build(name);
    const initial = await readWeights(model);
    const trainer = await WgslTrainer.create(device, model, data);
    for (const c of CASES.filter((c) => c.model === name)) {
      const reference = await tfjsLoop(initial, data, c);
      writeWeights(model, initial);
      const wgsl: number[] = [];
      const count = countDispatches(device);
      await trainer.train(c.config, { seed: SEED, proximalMu: c.proximalMu, onEpoch: (e) => wgsl.push(e.loss) });
      count.stop();
      const steps = c.config.epochs * Math.ceil(data.count / c.config.batchSize);
      dispatchesPerStep[name] = Math.max(dispatchesPerStep[name] ?? 0, count.dispatches / steps);
      const trained = await readWeights(model);
      const maxWeightDifference = trained.reduce((m, w, i) => Math.max(m, Math.abs(w - reference.weights[i]!)), 0);
      cases.push({ model: name, name: c.name, tfjsLoop: reference.losses, wgsl, maxWeightDifference });
      (liveBuffers[name] ??= []).push(live());
    }
    trainer.dispose();
    model.dispose();
  }

  const dropoutModel = tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape: [28, 28, 1] }),
      tf.layers.dense({ units: 16, activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
      tf.layers.dropout({ rate: 0.25 }),
      tf.layers.dense({ units: 10, activation: 'sigmoid', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
    ],
  });
  const dropoutTrainer = await WgslTrainer.create(device, dropoutModel, shard(128));
  const dropoutLosses: number[] = [];
  await dropoutTrainer.train({ epochs: 3, batchSize: 16, learningRate: 0.5 }, { seed: SEED, onEpoch: (e) => dropoutLosses.push(e.loss) });
  dropoutTrainer.dispose();
  dropoutModel.dispose();
  return { cases, liveBuffers, dispatchesPerStep, dropoutLosses };
}

console.log(JSON.stringify(await main()));
