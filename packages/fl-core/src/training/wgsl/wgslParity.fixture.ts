// Run by wgslTrainer.test.ts in a Node process of its own, started with Dawn's Vulkan loader and
// SwiftShader on its library path (a test worker cannot change where its dynamic loader looks).
// Prints one JSON line: what the test asserts.
import * as tf from '@tensorflow/tfjs';
import type { ImageDataset } from '../../data/dataset.ts';
import { createRng } from '../../data/random.ts';
import { loadUploadedModel, modelFromTopology, saveInMemory } from '../../models/uploadedModel.ts';
import { buildModel, readWeights, writeWeights, type ZooModelName } from '../../models/zoo.ts';
import { chooseNodeBackend } from '../../node/nodeBackend.ts';
import type { TrainingConfig } from '../../protocol/device.ts';
import { releaseResidentTensors, residentTensors } from '../tensors.ts';
import { trainEpochs } from '../trainEpochs.ts';
import { countDispatches } from './dispatchCounter.ts';
import { tfjsWebGpuDevice, WgslTrainer } from './wgslTrainer.ts';

/**
 * The zoo's models, a CNN with what the zoo lacks (an even same-padded kernel, overlapping pooling
 * windows, tanh and sigmoid), and a model an operator uploads, rebuilt from its topology as devices do.
 */
export type ParityModel = ZooModelName | 'overlapping-pool-cnn' | 'uploaded-cnn';

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
  /** Per-epoch losses of a tanh / dropout model. */
  dropoutLosses: number[];
  /** Per model (and the dropout model), whether a second training from the same weights and seed gave the same bits. */
  repeats: { model: ParityModel | 'dropout'; sameWeights: boolean; sameLosses: boolean; maxWeightDifference: number }[];
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
  { model: 'uploaded-cnn', name: 'sgd', config: { epochs: 3, batchSize: 16, learningRate: 0.05 }, proximalMu: 0 },
];
const EXAMPLES: Record<ParityModel, number> = {
  'mnist-mlp': 128,
  'mnist-cnn-small': 64,
  'mnist-cnn': 16,
  'overlapping-pool-cnn': 64,
  'uploaded-cnn': 64,
  'tabular-mlp': 128,
};
const SEED = 3;

function shard(count: number): ImageDataset {
  const rng = createRng(7);
  const pixels = new Uint8Array(count * 784).map(() => Math.floor(rng() * 256));
  const labels = new Uint8Array(count).map((_, i) => i % 10);
  return { count, height: 28, width: 28, channels: 1, numClasses: 10, labels, pixels };
}

const kernelInitializer = (seed: number) => tf.initializers.glorotUniform({ seed });

/**
 * What a device gets for an uploaded model: a Sequential written in tfjs as an operator would (its
 * last layer gives logits, as the README asks), saved as `model.save()` uploads it, checked and
 * stored as POST /api/models does, and its topology as GET /api/models/<id>/model.json serves it;
 * with the weights it was uploaded with, which a federation starts from.
 */
async function uploadedModel(): Promise<{ topology: unknown; weights: Float32Array }> {
  const authored = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: kernelInitializer(8) }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 32, activation: 'tanh', kernelInitializer: kernelInitializer(9) }),
      tf.layers.dense({ units: 10, kernelInitializer: kernelInitializer(10) }),
    ],
  });
  const upload = await saveInMemory(authored);
  authored.dispose();
  const loaded = await loadUploadedModel({ modelJson: upload.modelJson, weightFiles: new Map([['weights.bin', upload.weights]]) });
  if (!loaded.ok) throw new Error(loaded.reason);
  const stored = await saveInMemory(loaded.model);
  const weights = await readWeights(loaded.model);
  loaded.model.dispose();
  return { topology: (JSON.parse(JSON.stringify(stored.modelJson)) as { modelTopology: unknown }).modelTopology, weights };
}
let uploaded: ReturnType<typeof uploadedModel> | undefined;

async function build(name: ParityModel): Promise<tf.LayersModel> {
  if (name === 'uploaded-cnn') {
    const { topology, weights } = await (uploaded ??= uploadedModel());
    const model = await modelFromTopology(topology);
    writeWeights(model, weights);
    return model;
  }
  if (name !== 'overlapping-pool-cnn') return buildModel(name, 1);
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
  const model = await build(c.model);
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

interface Training {
  losses: number[];
  weights: Float32Array;
}

/** The engine's per-epoch losses and trained weights from `initial`. */
async function trainFrom(trainer: WgslTrainer, model: tf.LayersModel, initial: Float32Array, c: Pick<ParityCase, 'config' | 'proximalMu'>): Promise<Training> {
  writeWeights(model, initial);
  const losses: number[] = [];
  await trainer.train(c.config, { seed: SEED, proximalMu: c.proximalMu, onEpoch: (e) => losses.push(e.loss) });
  return { losses, weights: await readWeights(model) };
}

const maxDifference = (a: Float32Array, b: Float32Array) => a.reduce((m, w, i) => Math.max(m, Math.abs(w - b[i]!)), 0);

/** Bit for bit: a byte comparison tells -0 from 0 and holds for NaN, which === does not. */
function sameTraining(model: ParityReport['repeats'][number]['model'], a: Training, b: Training): ParityReport['repeats'][number] {
  const bytes = (t: Training) => Buffer.from(t.weights.buffer, t.weights.byteOffset, t.weights.byteLength);
  const sameLosses = a.losses.length === b.losses.length && a.losses.every((loss, i) => Object.is(loss, b.losses[i]));
  return { model, sameWeights: bytes(a).equals(bytes(b)), sameLosses, maxWeightDifference: maxDifference(a.weights, b.weights) };
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
  const repeats: ParityReport['repeats'] = [];
  for (const name of new Set(CASES.map((c) => c.model))) {
    const data = shard(EXAMPLES[name]);
    const model = await build(name);
    const initial = await readWeights(model);
    const trainer = await WgslTrainer.create(device, model, data);
    let first: Training | undefined;
    for (const c of CASES.filter((c) => c.model === name)) {
      const reference = await tfjsLoop(initial, data, c);
      const count = countDispatches(device);
      const trained = await trainFrom(trainer, model, initial, c);
      count.stop();
      first ??= trained;
      const steps = c.config.epochs * Math.ceil(data.count / c.config.batchSize);
      dispatchesPerStep[name] = Math.max(dispatchesPerStep[name] ?? 0, count.dispatches / steps);
      const maxWeightDifference = maxDifference(trained.weights, reference.weights);
      cases.push({ model: name, name: c.name, tfjsLoop: reference.losses, wgsl: trained.losses, maxWeightDifference });
      (liveBuffers[name] ??= []).push(live());
    }
    // The model's first case once more, from the same weights with the same seed.
    const again = await trainFrom(
      trainer,
      model,
      initial,
      CASES.find((c) => c.model === name)!,
    );
    repeats.push(sameTraining(name, first!, again));
    trainer.dispose();
    model.dispose();
  }

  const dropoutModel = tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape: [28, 28, 1] }),
      tf.layers.dense({ units: 16, activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
      tf.layers.dropout({ rate: 0.25 }),
      tf.layers.dense({ units: 10, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
    ],
  });
  const dropoutInitial = await readWeights(dropoutModel);
  const dropoutTrainer = await WgslTrainer.create(device, dropoutModel, shard(128));
  const dropoutCase = { config: { epochs: 3, batchSize: 16, learningRate: 0.5 } satisfies TrainingConfig, proximalMu: 0 };
  const dropout = await trainFrom(dropoutTrainer, dropoutModel, dropoutInitial, dropoutCase);
  repeats.push(sameTraining('dropout', dropout, await trainFrom(dropoutTrainer, dropoutModel, dropoutInitial, dropoutCase)));
  dropoutTrainer.dispose();
  dropoutModel.dispose();
  return { cases, liveBuffers, dispatchesPerStep, dropoutLosses: dropout.losses, repeats };
}

console.log(JSON.stringify(await main()));
