/// <reference types="@webgpu/types" />
// Bundled by esbuild into the tab of e2e/wgslParity.spec.ts (global `wgslParity`): Flock's WGSL engine and
// the tfjs loop, as a device runs them (trainWithWgsl, trainEpochs), on tfjs's webgpu backend in Chromium.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import {
  buildModel,
  createRng,
  dataShapeOf,
  isUploadedModel,
  modelFromTopology,
  readWeights,
  releaseResidentTensors,
  releaseResidentWgslTrainer,
  residentTensors,
  residentWgslMemory,
  trainEpochs,
  trainWithWgsl,
  uploadedTopologyFrom,
  writeWeights,
  type ImageDataset,
  type ModelRef,
  type TrainingConfig,
} from '@flock/fl-core';

export interface ParityRun {
  /** The backend the engine trained on. */
  backend: string;
  tfjsLoop: number[];
  engine: number[];
  /** Why the engine did not train, if it did not (the round would have gone to the tfjs loop). */
  engineFailed?: string;
  tfjsLoopMs: number;
  engineMs: number;
}

export interface MemorySample {
  engineBuffers: number;
  engineBytes: number;
  /** Every buffer alive on the GPU device: tfjs's (pooled) and the engine's. */
  deviceBuffers: number;
  tensorBytes: number;
  numTensors: number;
}

export interface MemoryRun {
  backend: string;
  rounds: MemorySample[];
  /** After the engine is released, as when the model or shard changes or the session ends. */
  released: MemorySample;
  engineFailed?: string;
}

const SEED = 3;
let liveBuffers = 0;

/** tfjs on webgpu, with every buffer made on its device counted until destroyed. */
export async function start(): Promise<string> {
  if (!(await tf.setBackend('webgpu'))) return tf.getBackend();
  await tf.ready();
  const device = (tf.backend() as WebGPUBackend).device;
  const create = device.createBuffer.bind(device);
  device.createBuffer = (descriptor: GPUBufferDescriptor) => {
    const buffer = create(descriptor);
    liveBuffers++;
    const destroy = buffer.destroy.bind(buffer);
    buffer.destroy = () => {
      liveBuffers--;
      destroy();
    };
    return buffer;
  };
  return tf.getBackend();
}

/** Random MNIST-shaped examples, or tabular rows of `features` floats. */
function shard(count: number, features?: number): ImageDataset {
  const rng = createRng(7);
  const labels = new Uint8Array(count).map((_, i) => i % 10);
  if (!features)
    return { count, height: 28, width: 28, channels: 1, numClasses: 10, labels, pixels: new Uint8Array(count * 784).map(() => Math.floor(rng() * 256)) };
  return {
    count,
    height: 1,
    width: features,
    channels: 1,
    numClasses: 10,
    labels,
    pixels: new Uint8Array(0),
    features: new Float32Array(count * features).map(() => rng() * 2 - 1),
  };
}

/** A zoo model, or an uploaded one built from the topology the coordinator serves, as a device builds it. */
async function build(model: ModelRef, data: ImageDataset): Promise<tf.LayersModel> {
  if (isUploadedModel(model)) return modelFromTopology(await uploadedTopologyFrom(location.origin)(model));
  return buildModel(model, 1, dataShapeOf(data));
}

/**
 * Per-epoch losses of the tfjs loop, on tfjs's cpu kernels (the exact reference, and fast enough for
 * the CNNs, which tfjs's webgpu kernels train at a few examples per second on SwiftShader), and of
 * the engine on webgpu, from the same weights with the same seed (batch order).
 */
export async function parity(model: ModelRef, examples: number, config: TrainingConfig, features?: number): Promise<ParityRun> {
  const data = shard(examples, features);
  const tfjsLoop: number[] = [];
  const engine: number[] = [];
  await tf.setBackend('cpu');
  const reference = await build(model, data);
  const initial = await readWeights(reference);
  let startedAt = performance.now();
  try {
    await trainEpochs(reference, residentTensors(data), config, {
      seed: SEED,
      onProgress: (p) => {
        if (p.batch === p.batches) tfjsLoop.push(p.loss);
      },
    });
  } finally {
    releaseResidentTensors();
    reference.dispose();
  }
  const tfjsLoopMs = performance.now() - startedAt;
  await tf.setBackend('webgpu');
  const net = await build(model, data);
  writeWeights(net, initial);
  startedAt = performance.now();
  try {
    const round = await trainWithWgsl(net, data, config, { seed: SEED, onProgress: (p) => engine.push(p.loss) });
    const engineMs = performance.now() - startedAt;
    return { backend: tf.getBackend(), tfjsLoop, engine, tfjsLoopMs, engineMs, ...('failed' in round ? { engineFailed: round.failed } : {}) };
  } finally {
    releaseResidentWgslTrainer();
    net.dispose();
  }
}

function sample(): MemorySample {
  const { buffers, bytes } = residentWgslMemory();
  const memory = tf.memory() as tf.MemoryInfo & { numBytesInGPU: number };
  return { engineBuffers: buffers, engineBytes: bytes, deviceBuffers: liveBuffers, tensorBytes: memory.numBytesInGPU, numTensors: memory.numTensors };
}

/** `rounds` rounds of mnist-mlp on the engine, each from the same global weights (as a device writes them), sampled after each. */
export async function memoryAcrossRounds(rounds: number): Promise<MemoryRun> {
  const data = shard(20);
  const net = buildModel('mnist-mlp', 1);
  const global = await readWeights(net);
  const samples: MemorySample[] = [];
  try {
    for (let r = 1; r <= rounds; r++) {
      writeWeights(net, global);
      const round = await trainWithWgsl(net, data, { epochs: 1, batchSize: 10, learningRate: 0.05 }, { seed: r });
      if ('failed' in round) return { backend: tf.getBackend(), rounds: samples, released: sample(), engineFailed: round.failed };
      samples.push(sample());
    }
    releaseResidentWgslTrainer();
    // dispose() runs once the released engine's promise settles: a turn of the event loop.
    await new Promise((resolve) => setTimeout(resolve, 0));
    return { backend: tf.getBackend(), rounds: samples, released: sample() };
  } finally {
    releaseResidentWgslTrainer();
    net.dispose();
  }
}
