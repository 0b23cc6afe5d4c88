import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  buildModel,
  createRng,
  datasetToTensors,
  encodeWeights,
  manifestOf,
  readWeights,
  saveInMemory,
  trainEpochs,
  writeWeights,
  type DataShape,
  type TrainingConfig,
  type WeightsManifest,
  type ZooModelName,
} from '@flock/fl-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PYTHON_CLIENT_DIR, pythonEnv, pythonInterpreter } from './python.ts';

/**
 * The Python client's models (python-client/flock_client/models) against tfjs: the same FLKW weights give the same
 * logits, and the same steps give the same weights, on its PyTorch and numpy engines. TypeScript writes every case to a
 * folder; one Python process (tests/models_parity.py) runs them all and writes back what each engine gave. It starts
 * first and imports PyTorch (seconds) while tfjs builds the cases, then reads the folder's path from its stdin.
 */

type Engine = 'torch' | 'numpy';
type EngineResult = { file: string } | { refused: string };

interface Case {
  id: string;
  model: string;
  inputShape: number[];
  numClasses: number;
  topology?: unknown;
  weights: string;
  x: string;
}

const MNIST: DataShape = { inputShape: [28, 28, 1], numClasses: 10 };
const TABULAR: DataShape = { inputShape: [1, 8, 1], numClasses: 3 };
const UPLOADED_ID = 'uploaded-0123456789ab';
const FUNCTIONAL_ID = 'uploaded-0123456789ac';

let folder: string;
let python: ChildProcess;
const cases: { predict: Case[]; train: (Case & { labels: number[]; config: TrainingConfig; proximalMu: number })[]; refuse: unknown[] } = {
  predict: [],
  train: [],
  refuse: [],
};
/** What tfjs gave for each case: logits, or the trained weights. */
const expected = new Map<string, Float32Array>();
let results: Record<string, Record<Engine, EngineResult> & { refused?: string }>;

function uniform(count: number, seed: number, scale = 1): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: count }, () => (rng() - 0.5) * 2 * scale);
}

/** The model's weights moved by small noise, so zero-initialised biases are mapped too. */
async function perturb(model: tf.LayersModel, seed: number): Promise<Float32Array> {
  const values = await readWeights(model);
  const noise = uniform(values.length, seed, 0.05);
  const moved = values.map((v, i) => v + noise[i]!);
  writeWeights(model, moved);
  return moved;
}

async function addCase(
  id: string,
  model: tf.LayersModel,
  name: string,
  shape: DataShape,
  examples: number,
  seed: number,
): Promise<Case & { xs: Float32Array }> {
  const values = await perturb(model, seed);
  const xs = uniform(examples * shape.inputShape.reduce((a, b) => a * b), seed + 1).map((v) => Math.abs(v));
  await writeFile(join(folder, `${id}.flkw`), encodeWeights(manifestOf(model), values, 'weights'));
  await writeFile(join(folder, `${id}.x`), new Uint8Array(xs.buffer));
  return { id, model: name, inputShape: [...shape.inputShape], numClasses: shape.numClasses, weights: `${id}.flkw`, x: `${id}.x`, xs };
}

async function addPrediction(name: string, model: tf.LayersModel, shape: DataShape, topology?: unknown): Promise<void> {
  const { xs, ...entry } = await addCase(`predict-${name}`, model, name, shape, 4, cases.predict.length * 10 + 1);
  const logits = tf.tidy(() => model.predict(tf.tensor(xs, [4, ...shape.inputShape])) as tf.Tensor);
  expected.set(entry.id, (await logits.data()) as Float32Array);
  logits.dispose();
  cases.predict.push({ ...entry, ...(topology ? { topology } : {}) });
}

/** Flock's own loop (trainEpochs, tfjs cpu) in stored order: the steps Python must repeat. */
async function addTraining(name: ZooModelName, shape: DataShape, config: TrainingConfig, proximalMu = 0): Promise<void> {
  const model = buildModel(name, 3, shape);
  const id = `train-${name}-${config.optimizer ?? 'sgd'}${proximalMu ? '-prox' : ''}`;
  const examples = 8;
  const { xs, ...entry } = await addCase(id, model, name, shape, examples, cases.train.length * 10 + 100);
  const labels = Array.from({ length: examples }, (_, i) => (i * 7) % shape.numClasses);
  const [height, width, channels] = shape.inputShape;
  const data = datasetToTensors({
    count: examples,
    height,
    width,
    channels,
    numClasses: shape.numClasses,
    labels: Uint8Array.from(labels),
    pixels: new Uint8Array(0),
    features: xs,
  });
  await trainEpochs(model, data, config, { order: 'identity', proximalMu });
  tf.dispose([data.xs, data.ys]);
  expected.set(id, await readWeights(model));
  model.dispose();
  cases.train.push({ ...entry, labels, config, proximalMu });
}

/** A model the zoo does not have, exercising what the topology mapper knows: uneven 'same' padding, strides, pooling, dropout, activations. */
function uploadedModel(): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [11, 11, 2], filters: 3, kernelSize: 4, strides: 2, padding: 'same', activation: 'tanh', name: 'convA' }),
      tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same', name: 'poolA' }),
      tf.layers.conv2d({ filters: 4, kernelSize: [2, 3], useBias: false, activation: 'sigmoid', name: 'convB' }),
      tf.layers.flatten({ name: 'flat' }),
      tf.layers.dropout({ rate: 0.3, name: 'drop' }),
      tf.layers.dense({ units: 6, activation: 'relu6', name: 'hidden' }),
      tf.layers.dense({ units: 5, name: 'out' }),
      tf.layers.activation({ activation: 'softmax', name: 'probs' }),
    ],
  });
}

/** tf.model() rather than tf.sequential(): runnable in Python because its layers form one chain. */
function functionalModel(): tf.LayersModel {
  const pixels = tf.input({ shape: [6, 6, 1], name: 'pixels' });
  const conv = tf.layers.conv2d({ filters: 2, kernelSize: 3, activation: 'relu', name: 'conv' }).apply(pixels) as tf.SymbolicTensor;
  const flat = tf.layers.flatten({ name: 'flat' }).apply(conv) as tf.SymbolicTensor;
  return tf.model({ inputs: pixels, outputs: tf.layers.dense({ units: 3, name: 'out' }).apply(flat) as tf.SymbolicTensor });
}

async function output(id: string, engine: Engine): Promise<Float32Array> {
  const result = results[id]![engine];
  if ('refused' in result) throw new Error(`${engine} refused ${id}: ${result.refused}`);
  const bytes = await readFile(join(folder, result.file));
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}

/** The cases whose engine output differs from tfjs's by more than 1e-5 anywhere, with the largest difference. */
async function beyondTolerance(list: readonly Case[], engine: Engine): Promise<{ id: string; difference: number }[]> {
  const out = [];
  for (const { id } of list) {
    const got = await output(id, engine);
    const want = expected.get(id)!;
    const difference = got.length === want.length ? got.reduce((worst, v, i) => Math.max(worst, Math.abs(v - want[i]!)), 0) : Infinity;
    if (!(difference <= 1e-5)) out.push({ id, difference });
  }
  return out;
}

beforeAll(async () => {
  python = spawn(pythonInterpreter(), [join(PYTHON_CLIENT_DIR, 'tests', 'models_parity.py')], { env: pythonEnv(), stdio: ['pipe', 'ignore', 'pipe'] });
  const stderr: Buffer[] = [];
  python.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk));
  const exited = once(python, 'close') as Promise<[number | null]>;
  await tf.setBackend('cpu');
  folder = await mkdtemp(join(tmpdir(), 'flock-python-models-'));
  for (const name of ['mnist-mlp', 'mnist-cnn', 'mnist-cnn-small'] as const) {
    const model = buildModel(name, 1, MNIST);
    await addPrediction(name, model, MNIST);
    model.dispose();
  }
  const tabular = buildModel('tabular-mlp', 1, TABULAR);
  await addPrediction('tabular-mlp', tabular, TABULAR);
  tabular.dispose();
  const uploaded = uploadedModel();
  const { modelTopology } = (await saveInMemory(uploaded)).modelJson;
  await addPrediction(UPLOADED_ID, uploaded, { inputShape: [11, 11, 2], numClasses: 5 }, modelTopology);
  uploaded.dispose();
  const functional = functionalModel();
  const functionalTopology = (await saveInMemory(functional)).modelJson.modelTopology;
  await addPrediction(FUNCTIONAL_ID, functional, { inputShape: [6, 6, 1], numClasses: 3 }, functionalTopology);
  functional.dispose();

  await addTraining('mnist-mlp', MNIST, { epochs: 1, batchSize: 8, learningRate: 0.1 });
  await addTraining('mnist-mlp', MNIST, { epochs: 1, batchSize: 4, learningRate: 0.1 }, 0.5);
  await addTraining('mnist-cnn-small', MNIST, { epochs: 2, batchSize: 4, learningRate: 0.05, optimizer: 'momentum' });
  await addTraining('tabular-mlp', TABULAR, { epochs: 2, batchSize: 4, learningRate: 0.01, optimizer: 'adam' });

  const normed = tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape: [1, 4, 1], name: 'flat' }),
      tf.layers.dense({ units: 3, name: 'hidden' }),
      tf.layers.batchNormalization({ name: 'norm' }),
      tf.layers.dense({ units: 2, name: 'out' }),
    ],
  });
  cases.refuse.push({
    id: 'batch-norm',
    model: UPLOADED_ID,
    inputShape: [1, 4, 1],
    numClasses: 2,
    topology: (await saveInMemory(normed)).modelJson.modelTopology,
    manifest: manifestOf(normed),
  });
  normed.dispose();
  const mlp = buildModel('mnist-mlp', 1, MNIST);
  const manifest: WeightsManifest = manifestOf(mlp);
  mlp.dispose();
  cases.refuse.push({
    id: 'extra-tensor',
    model: 'mnist-mlp',
    inputShape: [28, 28, 1],
    numClasses: 10,
    manifest: [...manifest, { name: 'fc3/kernel', shape: [10, 10], dtype: 'float32' }],
  });
  cases.refuse.push({
    id: 'other-shape',
    model: 'mnist-mlp',
    inputShape: [28, 28, 1],
    numClasses: 10,
    manifest: manifest.map((t) => (t.name === 'fc2/kernel' ? { ...t, shape: [200, 100] } : t)),
  });

  await writeFile(join(folder, 'cases.json'), JSON.stringify(cases));
  python.stdin!.end(`${folder}\n`);
  const [code] = await exited;
  if (code !== 0) throw new Error(`models_parity.py exited with ${code}: ${Buffer.concat(stderr).toString('utf8')}`);
  results = JSON.parse(await readFile(join(folder, 'results.json'), 'utf8')) as typeof results;
});

afterAll(async () => {
  // Still running only when building the cases failed: it waits for a folder that will not come.
  if (python.exitCode === null && python.signalCode === null) python.kill('SIGKILL');
  await rm(folder, { recursive: true, force: true });
});

describe('Python models against tfjs', () => {
  it.each(['torch', 'numpy'] as const)('give the same logits as tfjs for the same FLKW weights on %s', async (engine) => {
    expect(await beyondTolerance(cases.predict, engine)).toEqual([]);
  });

  it.each(['torch', 'numpy'] as const)("take the same SGD, FedProx, momentum and Adam steps as Flock's loop on %s", async (engine) => {
    expect(await beyondTolerance(cases.train, engine)).toEqual([]);
  });

  it('refuse a layer or a tensor they cannot map, naming it', () => {
    expect(results['batch-norm']!.refused).toBe(
      `model ${UPLOADED_ID} cannot run in the Python client: its layer "norm" is a BatchNormalization (it holds the tensors norm/gamma, norm/beta, norm/moving_mean, norm/moving_variance), which the client cannot map (it maps Dense, Conv2D, MaxPooling2D, Flatten, Dropout and Activation): train this model in a browser tab, or upload one built from those layers`,
    );
    expect(results['extra-tensor']!.refused).toMatch(/the tensor "fc3\/kernel" \[10, 10\], which model mnist-mlp does not have/);
    expect(results['other-shape']!.refused).toMatch(/the tensor "fc2\/kernel" \[200, 100\] where model mnist-mlp has "fc2\/kernel" \[200, 200\]/);
  });
});
