// Run by engineWiring.test.ts in a Node process of its own (runOnDawn): Dawn on SwiftShader.
// Prints one JSON line: what the test asserts.
/// <reference types="@webgpu/types" />
import * as tf from '@tensorflow/tfjs';
import { decodeWeights, encodeWeights } from '../codec/weightsCodec.ts';
import type { ImageDataset } from '../data/dataset.ts';
import { createRng } from '../data/random.ts';
import { buildModel, manifestOf, readWeights } from '../models/zoo.ts';
import { chooseNodeBackend } from '../node/nodeBackend.ts';
import { RoundTrainer, type RoundTrainerJob } from './roundTrainer.ts';
import { trainLocal } from './trainLocal.ts';
import type { TrainingEngine } from './trainingEngine.ts';
import { wgslSupport } from './wgsl/layerPlan.ts';
import { tfjsWebGpuDevice } from './wgsl/wgslTrainer.ts';

export interface WiringReport {
  /** Per round of one device on webgpu: the loop that trained, live tensors, live GPU bytes (every buffer on the device), progress calls. */
  rounds: { engine: TrainingEngine; numTensors: number; gpuBytes: number; progress: number[] }[];
  /** Largest difference between round 1's delta on webgpu and the same round on tfjs's cpu kernels (the tfjs loop). */
  maxDeltaDifference: number;
  /** What a progress callback that throws (a device told to stop) made the round reject with. */
  stoppedWith: string;
  /** A model with a layer the engine lacks, trained on webgpu. */
  unsupported: { engine: TrainingEngine; expectedReason: string; loss: number };
}

const ROUNDS = 4;

function shard(count: number): ImageDataset {
  const rng = createRng(7);
  const pixels = new Uint8Array(count * 784).map(() => Math.floor(rng() * 256));
  const labels = new Uint8Array(count).map((_, i) => i % 10);
  return { count, height: 28, width: 28, channels: 1, numClasses: 10, labels, pixels };
}

/** Bytes of the GPU buffers alive on `device`, whoever made them (tfjs's backend or the engine). */
function liveGpuBytes(device: GPUDevice): () => number {
  let live = 0;
  const create = device.createBuffer.bind(device);
  device.createBuffer = (descriptor: GPUBufferDescriptor) => {
    const buffer = create(descriptor);
    live += buffer.size;
    const destroy = buffer.destroy.bind(buffer);
    let destroyed = false;
    buffer.destroy = () => {
      if (!destroyed) live -= buffer.size;
      destroyed = true;
      destroy();
    };
    return buffer;
  };
  return () => live;
}

async function main(): Promise<WiringReport | { noAdapter: string }> {
  const choice = await chooseNodeBackend('webgpu').catch((err: unknown) => (err instanceof Error ? err.message : String(err)));
  if (typeof choice === 'string') return { noAdapter: choice };
  const data = shard(48);
  const model = buildModel('mnist-mlp', 1);
  const manifest = manifestOf(model);
  const weights = encodeWeights(manifest, await readWeights(model), 'weights');
  model.dispose();
  const job = (round: number): RoundTrainerJob => ({
    round,
    model: 'mnist-mlp',
    weights,
    config: { epochs: 2, batchSize: 16, learningRate: 0.05, optimizer: 'momentum' },
    shardId: 'shard-1',
    federationId: 'fed',
    instructions: { proximalMu: 0.1 },
  });

  await tf.setBackend('cpu');
  const onCpu = new RoundTrainer();
  const reference = decodeWeights((await onCpu.train(job(1), data)).payload, manifest).values;
  onCpu.dispose();
  await tf.setBackend('webgpu');

  const bytes = liveGpuBytes(tfjsWebGpuDevice()!);
  const trainer = new RoundTrainer();
  const rounds: WiringReport['rounds'] = [];
  let maxDeltaDifference = 0;
  for (let round = 1; round <= ROUNDS; round++) {
    const progress: number[] = [];
    const outcome = await trainer.train(job(round), data, { onProgress: (p) => progress.push(p.epoch) });
    if (round === 1) {
      const delta = decodeWeights(outcome.payload, manifest).values;
      maxDeltaDifference = delta.reduce((m, v, i) => Math.max(m, Math.abs(v - reference[i]!)), 0);
    }
    rounds.push({ engine: outcome.engine, numTensors: outcome.numTensors, gpuBytes: bytes(), progress });
  }
  const stoppedWith = await trainer
    .train(job(ROUNDS + 1), data, {
      onProgress: () => {
        throw new Error('stopped by the page');
      },
    })
    .then(
      () => 'nothing: the round finished',
      (err: unknown) => (err instanceof Error ? err.message : String(err)),
    );
  trainer.dispose();

  const normalized = tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape: [28, 28, 1] }),
      tf.layers.dense({ units: 8, activation: 'relu' }),
      tf.layers.batchNormalization(),
      tf.layers.dense({ units: 10 }),
    ],
  });
  const support = wgslSupport(normalized);
  const trained = await trainLocal(normalized, data, { epochs: 1, batchSize: 16, learningRate: 0.05 });
  normalized.dispose();
  const unsupported = { engine: trained.engine, expectedReason: support.ok ? 'the engine has every layer' : support.reason, loss: trained.loss };
  return { rounds, maxDeltaDifference, stoppedWith, unsupported };
}

console.log(JSON.stringify(await main()));
