import * as tf from '@tensorflow/tfjs';
import {
  buildModel,
  isUploadedModel,
  modelFromTopology,
  releaseResidentTensors,
  releaseResidentWgslTrainer,
  residentTensors,
  trainEpochs,
  trainingEngineFor,
  trainWithWgsl,
  uploadedTopologyFrom,
  type ImageDataset,
  type ModelRef,
  type TrainingConfig,
  type TrainingEngine,
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
 * Samples/s of training `model` on the backend active now, with the loop that would train it here
 * (Flock's WebGPU engine where trainLocal would use it, else the tfjs loop): one warm-up pass
 * (shader compilation, the engine's buffers), then passes over a small random batch set for about a second.
 */
export async function measureTrainingSpeed(model: ModelRef): Promise<number> {
  const net = await probeModel(model);
  const data = probeData(net);
  const pass = trainingPass(net, data, { epochs: 1, batchSize: PROBE_BATCH, learningRate: 0.01 });
  try {
    await pass();
    const start = performance.now();
    let samples = 0;
    while (performance.now() - start < PROBE_MS || samples === 0) {
      await pass();
      samples += data.count;
    }
    return samples / ((performance.now() - start) / 1000);
  } finally {
    releaseResidentTensors();
    releaseResidentWgslTrainer();
    net.dispose();
  }
}

/** One epoch over `data`: on Flock's WebGPU engine where it trains `net` here, else (or once it fails, as in trainLocal) on the tfjs loop. */
function trainingPass(net: tf.LayersModel, data: ImageDataset, config: TrainingConfig): () => Promise<void> {
  let onEngine = trainingEngineFor(net).engine === 'wgsl';
  return async () => {
    if (onEngine) {
      if (!('failed' in (await trainWithWgsl(net, data, config, {})))) return;
      onEngine = false;
    }
    await trainEpochs(net, residentTensors(data), config);
  };
}

/** The loop that trains `model` on the backend active now, and why not Flock's WebGPU engine when it does not. */
export async function trainingEngineOf(model: ModelRef): Promise<TrainingEngine> {
  const net = await probeModel(model);
  try {
    return trainingEngineFor(net);
  } finally {
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
