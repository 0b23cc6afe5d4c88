import * as tf from '@tensorflow/tfjs';
import {
  buildModel,
  isUploadedModel,
  modelFromTopology,
  releaseResidentTensors,
  residentTensors,
  trainEpochs,
  uploadedTopologyFrom,
  type ImageDataset,
  type ModelRef,
} from '@flock/fl-core';

const PROBE_EXAMPLES = 20;
const PROBE_BATCH = 10;
const PROBE_MS = 1_000;

/** Uploaded models' topologies, from the coordinator that served this page (its public model route). */
export const pageOriginTopology = uploadedTopologyFrom(self.location.origin);

/** The model to time: a zoo model (MNIST-sized), or an uploaded one built from its topology. The caller disposes it. */
async function probeModel(model: ModelRef): Promise<tf.LayersModel> {
  return isUploadedModel(model) ? modelFromTopology(await pageOriginTopology(model)) : buildModel(model, 1);
}

/**
 * Samples/s of Flock's training loop for `model` on the backend active now: one warm-up pass
 * (shader compilation), then passes over a small random batch set for about a second.
 */
export async function measureTrainingSpeed(model: ModelRef): Promise<number> {
  const net = await probeModel(model);
  const data = probeData(net);
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
export async function isDenseModel(model: ModelRef): Promise<boolean> {
  const net = await probeModel(model);
  try {
    return net.layers.every((layer) => DENSE_LAYERS.has(layer.getClassName()));
  } finally {
    net.dispose();
  }
}

/** Examples of the shape `net` takes: every Flock model takes [batch, height, width, channels] and gives [batch, classes]. */
function probeData(net: tf.LayersModel): ImageDataset {
  const [, height, width, channels] = net.inputs[0]!.shape as number[];
  const numClasses = net.outputs[0]!.shape[1] as number;
  const pixels = new Uint8Array(PROBE_EXAMPLES * height! * width! * channels!).map((_, i) => (i * 37) % 256);
  const labels = new Uint8Array(PROBE_EXAMPLES).map((_, i) => i % numClasses);
  return { count: PROBE_EXAMPLES, height: height!, width: width!, channels: channels!, numClasses, labels, pixels };
}
