// `npm run bench -- codec [--rounds 10] [--devices 10] [--examples 600] [--codecs float32,float16,int8,topk] [--topk 0.01] [--downlink float32|float16] [--seconds 1] [--eval-examples 2000] [--no-accuracy]`
// One JSON line per model and codec: bytes per parameter of an uplink payload (header included),
// encode/decode speed in MB/s of float32 delta, and, for mnist-mlp, test accuracy after `--rounds`
// rounds of an in-process FedAvg simulation on tfjs cpu (K devices, IID MNIST, every device every
// round) with each delta encoded and decoded, beside the same simulation in float32 (same seeds).
// `--downlink float16`: every device starts its round from the global model as the downlink codec
// delivers it (as a tab does), in every simulation, float32's included.
// `accuracy` is on all 10,000 MNIST test images after the last round; `accuracyByRound` on the
// first `--eval-examples` of them (tfjs cpu evaluates slowly).
// Deltas for the size and speed figures are real: one local epoch from the initial model.
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { FedAvgAccumulator } from '../src/aggregation/fedAvgAccumulator.ts';
import { applyDelta } from '../src/aggregation/vectorMath.ts';
import type { WeightsCodec } from '../src/codec/codecSpec.ts';
import { ErrorFeedback } from '../src/codec/errorFeedback.ts';
import { decodeWeights, encodeWeights, type WeightsManifest } from '../src/codec/weightsCodec.ts';
import { subset, type ImageDataset } from '../src/data/dataset.ts';
import { partitionIid } from '../src/data/partition.ts';
import { createRng, seedFromText } from '../src/data/random.ts';
import { buildModel, manifestOf, readWeights, writeWeights, type ZooModelName } from '../src/models/zoo.ts';
import { loadMnist } from '../src/node/mnistFiles.ts';
import { evaluateModel } from '../src/training/evaluate.ts';
import { releaseResidentTensors, residentTensors } from '../src/training/tensors.ts';
import { trainEpochs } from '../src/training/trainEpochs.ts';
import { callsPerSecond } from './callRate.ts';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '10' },
    devices: { type: 'string', default: '10' },
    examples: { type: 'string', default: '600' },
    codecs: { type: 'string', default: 'float32,float16,int8,topk' },
    topk: { type: 'string', default: '0.01' },
    seconds: { type: 'string', default: '1' },
    'eval-examples': { type: 'string', default: '2000' },
    downlink: { type: 'string', default: 'float32' },
    'no-accuracy': { type: 'boolean', default: false },
  },
});
const ROUNDS = Number(args.rounds);
const DEVICES = Number(args.devices);
const EXAMPLES = Number(args.examples);
const SECONDS = Number(args.seconds);
const TRAINING = { epochs: 1, batchSize: 10, learningRate: 0.1 };
const SEED = 2017;
const DOWNLINK: WeightsCodec = args.downlink === 'float16' ? { name: 'float16' } : { name: 'float32' };

interface BenchCodec {
  label: string;
  codec: WeightsCodec;
  /** Top-k keeps what it did not send on the device. */
  errorFeedback: boolean;
}

const CODECS: BenchCodec[] = args.codecs.split(',').map((name) => {
  switch (name) {
    case 'float32':
    case 'float16':
      return { label: name, codec: { name }, errorFeedback: false };
    case 'int8':
      return { label: 'int8', codec: { name: 'int8', chunkSize: 256 }, errorFeedback: false };
    case 'topk':
      return { label: `topk-${Number(args.topk) * 100}%+ef`, codec: { name: 'topk', fraction: Number(args.topk) }, errorFeedback: true };
    default:
      throw new Error(`unknown codec ${name} (float32, float16, int8, topk)`);
  }
});

/** One device's encoder: a seeded stochastic-rounding source, and a residual when the codec keeps one. */
class DeviceEncoder {
  private readonly feedback: ErrorFeedback | null;
  constructor(
    readonly c: BenchCodec,
    size: number,
  ) {
    this.feedback = c.errorFeedback ? new ErrorFeedback(size) : null;
  }
  encode(manifest: WeightsManifest, delta: Float32Array, seed: number): Uint8Array {
    const random = createRng(seed);
    return this.feedback ? this.feedback.encode(manifest, delta, this.c.codec, { random }) : encodeWeights(manifest, delta, 'delta', this.c.codec, { random });
  }
}

/** MB of float32 delta per second, for SECONDS. */
function mbps(params: number, run: () => unknown): number {
  return round2((params * 4 * callsPerSecond(SECONDS, run)) / 1e6);
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

/** trainLocal without its local evaluation: the weights' change after one local epoch. */
async function localDelta(model: tf.LayersModel, data: ImageDataset, seed: number): Promise<Float32Array> {
  const before = await readWeights(model);
  await trainEpochs(model, residentTensors(data), TRAINING, { seed });
  const delta = await readWeights(model);
  for (let i = 0; i < delta.length; i++) delta[i] = delta[i]! - before[i]!;
  return delta;
}

async function realDelta(name: ZooModelName, data: ImageDataset): Promise<{ manifest: WeightsManifest; delta: Float32Array }> {
  const model = buildModel(name, SEED);
  const delta = await localDelta(model, data, SEED);
  const manifest = manifestOf(model);
  model.dispose();
  releaseResidentTensors();
  return { manifest, delta };
}

function sizeAndSpeed(manifest: WeightsManifest, delta: Float32Array, c: BenchCodec) {
  const device = new DeviceEncoder(c, delta.length);
  const payload = device.encode(manifest, delta, 1);
  return {
    bytesPerParam: Number((payload.byteLength / delta.length).toFixed(4)),
    fractionOfFloat32: Number((payload.byteLength / (delta.length * 4)).toFixed(4)),
    encodeMBps: mbps(delta.length, () => device.encode(manifest, delta, 1)),
    decodeMBps: mbps(delta.length, () => decodeWeights(payload, manifest)),
  };
}

/** FedAvg over `DEVICES` IID shards, every device every round; returns test accuracy after each round. */
async function simulate(c: BenchCodec, shards: ImageDataset[], test: ImageDataset, roundTest: ImageDataset): Promise<Simulation> {
  const model = buildModel('mnist-mlp', SEED);
  const manifest = manifestOf(model);
  let global = await readWeights(model);
  const devices = shards.map(() => new DeviceEncoder(c, global.length));
  const accuracyByRound: number[] = [];
  let payloadBytes = 0;
  for (let round = 1; round <= ROUNDS; round++) {
    const acc = new FedAvgAccumulator(global.length);
    const sent = decodeWeights(encodeWeights(manifest, global, 'weights', DOWNLINK), manifest).values;
    for (let d = 0; d < shards.length; d++) {
      writeWeights(model, sent);
      const delta = await localDelta(model, shards[d]!, seedFromText(`device-${d}/${round}`));
      const payload = devices[d]!.encode(manifest, delta, seedFromText(`codec/device-${d}/${round}`));
      payloadBytes += payload.byteLength;
      acc.add(decodeWeights(payload, manifest).values, shards[d]!.count);
    }
    global = applyDelta(global, acc.mean());
    writeWeights(model, global);
    accuracyByRound.push(round2((await evaluateModel(model, roundTest)).accuracy * 100));
  }
  const accuracy = round2((await evaluateModel(model, test)).accuracy * 100);
  model.dispose();
  releaseResidentTensors();
  return { accuracy, accuracyByRound, meanPayloadBytes: Math.round(payloadBytes / (ROUNDS * shards.length)) };
}

interface Simulation {
  accuracy: number;
  accuracyByRound: number[];
  meanPayloadBytes: number;
}

await tf.setBackend('cpu');
await tf.ready();
const train = await loadMnist('train');
const test = await loadMnist('test');
const parts = partitionIid(train.count, DEVICES, EXAMPLES, SEED);
const shards = parts.map((indices) => subset(train, indices));

const roundTest = subset(
  test,
  Array.from({ length: Math.min(test.count, Number(args['eval-examples'])) }, (_, i) => i),
);
const accuracy = new Map<string, Simulation>();
if (!args['no-accuracy']) {
  for (const c of CODECS) {
    const started = performance.now();
    accuracy.set(c.label, await simulate(c, shards, test, roundTest));
    console.error(`# ${c.label}: ${ROUNDS} rounds in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }
}
const float32Accuracy = accuracy.get('float32')?.accuracy ?? null;

const MODELS: { name: ZooModelName; examples: number }[] = [
  { name: 'mnist-mlp', examples: EXAMPLES },
  // The CNN trains slowly on tfjs cpu: a shorter local epoch still gives a real delta's distribution.
  { name: 'mnist-cnn', examples: 50 },
];
for (const m of MODELS) {
  const { manifest, delta } = await realDelta(
    m.name,
    shards[0]!.count > m.examples
      ? subset(
          shards[0]!,
          Array.from({ length: m.examples }, (_, i) => i),
        )
      : shards[0]!,
  );
  for (const c of CODECS) {
    const sim = m.name === 'mnist-mlp' ? accuracy.get(c.label) : undefined;
    console.log(
      JSON.stringify({
        model: m.name,
        params: delta.length,
        codec: c.label,
        downlink: DOWNLINK.name,
        ...sizeAndSpeed(manifest, delta, c),
        accuracy: sim?.accuracy ?? null,
        accuracyFloat32: sim ? float32Accuracy : null,
        rounds: sim ? ROUNDS : null,
        ...(sim ? { accuracyByRound: sim.accuracyByRound, simBytesPerParam: Number((sim.meanPayloadBytes / delta.length).toFixed(4)) } : {}),
      }),
    );
  }
}
