import * as tf from '@tensorflow/tfjs';
import { buildModel, releaseResidentTensors, residentTensors, trainEpochs, type ImageDataset, type ZooModelName } from '@flock/fl-core';

const PROBE_EXAMPLES = 20;
const PROBE_BATCH = 10;
const PROBE_MS = 1_000;

/**
 * Samples/s of Flock's training loop for `model` on the backend active now: one warm-up pass
 * (shader compilation), then passes over a small random batch set for about a second.
 */
export async function measureTrainingSpeed(model: ZooModelName): Promise<number> {
  const net = buildModel(model, 1);
  const data = probeData();
  const config = { epochs: 1, batchSize: PROBE_BATCH, learningRate: 0.01 };
  try {
    const tensors = residentTensors(data);
    await trainEpochs(net, tensors, config);
    const start = performance.now();
    let samples = 0;
    while (performance.now() - start < PROBE_MS || samples === 0) {
      await trainEpochs(net, tensors, config);
      samples += data.count;
    }
    return samples / ((performance.now() - start) / 1000);
  } finally {
    releaseResidentTensors();
    net.dispose();
  }
}

/** Layers that only reshape or are dense: all of a model that the wasm backend can train. */
const DENSE_LAYERS = new Set(['InputLayer', 'Flatten', 'Reshape', 'Dense', 'Dropout', 'Activation']);

/** Whether every layer of `model` is dense or shape-only (built on the backend active now). */
export function isDenseModel(model: ZooModelName): boolean {
  const net = buildModel(model, 1);
  try {
    return net.layers.every((layer) => DENSE_LAYERS.has(layer.getClassName()));
  } finally {
    net.dispose();
  }
}

function probeData(): ImageDataset {
  const pixels = new Uint8Array(PROBE_EXAMPLES * 784).map((_, i) => (i * 37) % 256);
  const labels = new Uint8Array(PROBE_EXAMPLES).map((_, i) => i % 10);
  return { count: PROBE_EXAMPLES, height: 28, width: 28, channels: 1, numClasses: 10, labels, pixels };
}
