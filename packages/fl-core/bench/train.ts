// `npm run bench -- train [--backend cpu|webgpu] [--seconds 3] [--models a,b] [--batches 10,50] [--steps 30] [--torch file] [--flags K=V,...]`
// Samples/s of Flock's loop (trainEpochs on resident tensors) and of tfjs-layers `fit` on the same
// model, backend, data and batch size, one JSON line per case. `--backend webgpu` runs on Dawn
// (the `webgpu` package, or the dawn.node named by DAWN_NODE); see shared/docs/gpu-bench.md.
// `--torch file` merges PyTorch's figures (JSON lines {model, batch, samplesPerSec}) from train_torch.py.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import type { ImageDataset } from '../src/data/dataset.ts';
import { createRng } from '../src/data/random.ts';
import { buildModel, MODEL_NAMES, type ZooModelName } from '../src/models/zoo.ts';
import { datasetToTensors, releaseResidentTensors, residentTensors } from '../src/training/tensors.ts';
import { trainEpochs } from '../src/training/trainEpochs.ts';

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'cpu' },
    seconds: { type: 'string', default: '3' },
    models: { type: 'string', default: MODEL_NAMES.join(',') },
    batches: { type: 'string', default: '10,50' },
    steps: { type: 'string', default: '30' },
    torch: { type: 'string' },
    /** tfjs environment flags, e.g. WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE=64 (comma-separated NAME=value). */
    flags: { type: 'string', default: '' },
  },
});
const LEARNING_RATE = 0.05;

async function useBackend(name: string): Promise<void> {
  if (name === 'webgpu') {
    // Dawn must provide navigator.gpu before tfjs-backend-webgpu loads, or the backend never registers.
    const load = typeof require === 'function' ? require : createRequire(import.meta.url);
    const dawn = (process.env.DAWN_NODE ? load(process.env.DAWN_NODE) : await import('webgpu')) as {
      create: (flags: string[]) => unknown;
      globals: object;
    };
    Object.assign(globalThis, dawn.globals);
    Object.defineProperty(globalThis, 'navigator', { value: { gpu: dawn.create([]) }, configurable: true });
    await import('@tensorflow/tfjs-backend-webgpu');
  }
  for (const flag of args.flags.split(',').filter(Boolean)) {
    const [key, value] = flag.split('=');
    tf.env().set(key!, value === 'true' || value === 'false' ? value === 'true' : Number(value));
  }
  if (!(await tf.setBackend(name))) throw new Error(`backend ${name} did not start`);
  await tf.ready();
}

function randomDataset(count: number, seed: number): ImageDataset {
  const rng = createRng(seed);
  const pixels = new Uint8Array(count * 784).map(() => Math.floor(rng() * 256));
  const labels = new Uint8Array(count).map(() => Math.floor(rng() * 10));
  return { count, height: 28, width: 28, channels: 1, numClasses: 10, labels, pixels };
}

/** Calls `run` (one pass of `samples` examples) once to warm up, then until `seconds` have passed. */
async function samplesPerSecond(samples: number, seconds: number, run: () => Promise<unknown>): Promise<number> {
  await run();
  const start = performance.now();
  let done = 0;
  while (performance.now() - start < seconds * 1000 || done === 0) {
    await run();
    done += samples;
  }
  return done / ((performance.now() - start) / 1000);
}

async function loopSpeed(name: ZooModelName, data: ImageDataset, batchSize: number, seconds: number): Promise<number> {
  const model = buildModel(name, 1);
  const tensors = residentTensors(data);
  const config = { epochs: 1, batchSize, learningRate: LEARNING_RATE };
  const speed = await samplesPerSecond(data.count, seconds, () => trainEpochs(model, tensors, config));
  releaseResidentTensors();
  model.dispose();
  return speed;
}

async function fitSpeed(name: ZooModelName, data: ImageDataset, batchSize: number, seconds: number): Promise<number> {
  const model = buildModel(name, 1);
  model.compile({
    optimizer: tf.train.sgd(LEARNING_RATE),
    loss: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.losses.softmaxCrossEntropy(yTrue, yPred),
  });
  const { xs, ys } = datasetToTensors(data);
  const speed = await samplesPerSecond(data.count, seconds, () =>
    model.fit(xs, ys, { batchSize, epochs: 1, shuffle: true, verbose: 0 }),
  );
  tf.dispose([xs, ys]);
  model.dispose();
  return speed;
}

function torchFigures(path: string | undefined): Map<string, number> {
  const figures = new Map<string, number>();
  if (!path) return figures;
  for (const line of readFileSync(path, 'utf8').split('\n').filter((l) => l.startsWith('{'))) {
    const row = JSON.parse(line) as { model: string; batch: number; samplesPerSec: number };
    figures.set(`${row.model}/${row.batch}`, row.samplesPerSec);
  }
  return figures;
}

const round = (x: number, digits = 1) => Number(x.toFixed(digits));

async function main(): Promise<void> {
  await useBackend(args.backend);
  const seconds = Number(args.seconds);
  const steps = Number(args.steps);
  const torch = torchFigures(args.torch);
  const models = args.models.split(',') as ZooModelName[];
  for (const model of models) {
    if (!MODEL_NAMES.includes(model)) throw new Error(`unknown model ${model}; models: ${MODEL_NAMES.join(', ')}`);
    for (const batch of args.batches.split(',').map(Number)) {
      const data = randomDataset(batch * steps, batch);
      const loop = await loopSpeed(model, data, batch, seconds);
      const fit = await fitSpeed(model, data, batch, seconds);
      const reference = torch.get(`${model}/${batch}`);
      const row = {
        model,
        backend: tf.getBackend(),
        batch,
        loopSamplesPerSec: round(loop),
        fitSamplesPerSec: round(fit),
        ratio: round(loop / fit, 2),
        ...(reference ? { torchSamplesPerSec: round(reference), loopToTorch: round(loop / reference, 3) } : {}),
        numTensors: tf.memory().numTensors,
      };
      console.log(JSON.stringify(row));
    }
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
