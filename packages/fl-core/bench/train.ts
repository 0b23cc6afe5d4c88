// `npm run bench -- train [--backend cpu|webgpu] [--engine tfjs|wgsl] [--steps-per-submit N] [--seconds 3] [--models a,b] [--batches 10,50] [--steps 30] [--torch file] [--flags K=V,...] [--kernels]`
// Samples/s of Flock's loop (trainEpochs on resident tensors) and of tfjs-layers `fit` on the same
// model, backend, data and batch size, one JSON line per case. `--engine wgsl` (webgpu only) adds
// Flock's WGSL engine, timed in turns with the other two, and reports it as the row's engine;
// `dispatchesPerStep` and `submitsPerEpoch` count the row's engine's GPU calls over one epoch by
// wrapping the device's compute passes and queue (countDispatches), the same way for both engines. `--backend webgpu` runs on Dawn
// (the `webgpu` package, or the dawn.node named by DAWN_NODE); the README's Benchmarks section says how to run it on a GPU.
// `--kernels` prints instead the kernels one step of the loop runs (tf.profile), those that dispatch apart.
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
import { countDispatches } from '../src/training/wgsl/dispatchCounter.ts';
import { wgslSupport } from '../src/training/wgsl/layerPlan.ts';
import { tfjsWebGpuDevice, WgslTrainer } from '../src/training/wgsl/wgslTrainer.ts';

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'cpu' },
    engine: { type: 'string', default: 'tfjs' },
    'steps-per-submit': { type: 'string' },
    seconds: { type: 'string', default: '3' },
    models: { type: 'string', default: MODEL_NAMES.join(',') },
    batches: { type: 'string', default: '10,50' },
    steps: { type: 'string', default: '30' },
    torch: { type: 'string' },
    /** tfjs environment flags, e.g. WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE=64 (comma-separated NAME=value). */
    flags: { type: 'string', default: '' },
    kernels: { type: 'boolean', default: false },
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

interface Runner {
  /** One pass over the data. */
  run: () => Promise<unknown>;
  dispose: () => void;
}

/**
 * Samples/s of each runner: one warm-up pass each, then the runners take turns in slices of about
 * half a second until each has run `seconds`, so both see the same load on a shared machine.
 */
async function samplesPerSecond(samples: number, seconds: number, runners: Runner[]): Promise<number[]> {
  for (const r of runners) await r.run();
  const elapsed = runners.map(() => 0);
  const done = runners.map(() => 0);
  while (elapsed.some((ms) => ms < seconds * 1000)) {
    for (const [i, r] of runners.entries()) {
      const start = performance.now();
      do {
        await r.run();
        done[i]! += samples;
      } while (performance.now() - start < 500);
      elapsed[i]! += performance.now() - start;
    }
  }
  return done.map((n, i) => n / (elapsed[i]! / 1000));
}

function loopRunner(name: ZooModelName, data: ImageDataset, batchSize: number): Runner {
  const model = buildModel(name, 1);
  const tensors = residentTensors(data);
  const config = { epochs: 1, batchSize, learningRate: LEARNING_RATE };
  return {
    run: () => trainEpochs(model, tensors, config),
    dispose: () => {
      releaseResidentTensors();
      model.dispose();
    },
  };
}

async function wgslRunner(name: ZooModelName, data: ImageDataset, batchSize: number): Promise<Runner> {
  const model = buildModel(name, 1);
  const trainer = await WgslTrainer.create(tfjsWebGpuDevice()!, model, data);
  const config = { epochs: 1, batchSize, learningRate: LEARNING_RATE };
  const stepsPerSubmit = args['steps-per-submit'] ? Number(args['steps-per-submit']) : undefined;
  return {
    run: () => trainer.train(config, { stepsPerSubmit }),
    dispose: () => {
      trainer.dispose();
      model.dispose();
    },
  };
}

/** GPU dispatches per step and submits per epoch of one pass of `runner` (null off webgpu). */
async function gpuCalls(runner: Runner, steps: number): Promise<{ dispatchesPerStep: number | null; submitsPerEpoch: number | null }> {
  const device = tfjsWebGpuDevice();
  if (!device) return { dispatchesPerStep: null, submitsPerEpoch: null };
  const count = countDispatches(device);
  try {
    await runner.run();
  } finally {
    count.stop();
  }
  return { dispatchesPerStep: round(count.dispatches / steps, 2), submitsPerEpoch: count.submits };
}

function fitRunner(name: ZooModelName, data: ImageDataset, batchSize: number): Runner {
  const model = buildModel(name, 1);
  model.compile({
    optimizer: tf.train.sgd(LEARNING_RATE),
    loss: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.losses.softmaxCrossEntropy(yTrue, yPred),
  });
  const { xs, ys } = datasetToTensors(data);
  return {
    run: () => model.fit(xs, ys, { batchSize, epochs: 1, shuffle: true, verbose: 0 }),
    dispose: () => {
      tf.dispose([xs, ys]);
      model.dispose();
    },
  };
}

function torchFigures(path: string | undefined): Map<string, number> {
  const figures = new Map<string, number>();
  if (!path) return figures;
  for (const line of readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))) {
    const row = JSON.parse(line) as { model: string; batch: number; samplesPerSec: number };
    figures.set(`${row.model}/${row.batch}`, row.samplesPerSec);
  }
  return figures;
}

/** Kernels that only relabel a tensor: no GPU dispatch (op wrappers of customGrad/ops show up as their names too). */
const NO_DISPATCH = new Set(['Identity', 'Reshape', 'Cast', 'forward']);

/** Kernels per step of the loop, counted over `steps` steps with tf.profile. */
async function kernelsPerStep(name: ZooModelName, data: ImageDataset, batchSize: number, steps: number) {
  const runner = loopRunner(name, data, batchSize);
  await runner.run();
  const { kernels } = await tf.profile(() => runner.run());
  runner.dispose();
  const byKernel: Record<string, number> = {};
  for (const k of kernels) byKernel[k.name] = (byKernel[k.name] ?? 0) + 1 / steps;
  const dispatching = kernels.filter((k) => !NO_DISPATCH.has(k.name) && !k.name.endsWith('__op')).length;
  return { kernelsPerStep: kernels.length / steps, dispatchesPerStep: dispatching / steps, byKernel };
}

const round = (x: number, digits = 1) => Number(x.toFixed(digits));

async function main(): Promise<void> {
  if (args.engine !== 'tfjs' && args.engine !== 'wgsl') throw new Error(`--engine ${args.engine}: the engines are tfjs and wgsl`);
  if (args.engine === 'wgsl' && args.backend !== 'webgpu') throw new Error('--engine wgsl trains on WebGPU: add --backend webgpu');
  await useBackend(args.backend);
  const seconds = Number(args.seconds);
  const steps = Number(args.steps);
  const torch = torchFigures(args.torch);
  const models = args.models.split(',') as ZooModelName[];
  for (const model of models) {
    if (!MODEL_NAMES.includes(model)) throw new Error(`unknown model ${model}; models: ${MODEL_NAMES.join(', ')}`);
    const probe = buildModel(model, 1);
    const support = wgslSupport(probe);
    probe.dispose();
    if (args.engine === 'wgsl' && !support.ok) {
      console.log(JSON.stringify({ model, engine: 'wgsl', skipped: support.reason }));
      continue;
    }
    for (const batch of args.batches.split(',').map(Number)) {
      const data = randomDataset(batch * steps, batch);
      if (args.kernels) {
        console.log(JSON.stringify({ model, backend: tf.getBackend(), batch, ...(await kernelsPerStep(model, data, batch, steps)) }));
        continue;
      }
      const loopRun = loopRunner(model, data, batch);
      const wgsl = args.engine === 'wgsl' ? await wgslRunner(model, data, batch) : null;
      const runners = [loopRun, fitRunner(model, data, batch), ...(wgsl ? [wgsl] : [])];
      const [loop, fit, engine] = (await samplesPerSecond(data.count, seconds, runners)) as [number, number, number?];
      const calls = await gpuCalls(wgsl ?? loopRun, steps);
      for (const r of runners) r.dispose();
      const trained = engine ?? loop;
      const reference = torch.get(`${model}/${batch}`);
      const row = {
        model,
        backend: tf.getBackend(),
        engine: args.engine,
        batch,
        loopSamplesPerSec: round(trained),
        fitSamplesPerSec: round(fit),
        ratio: round(trained / fit, 2),
        ...(engine ? { tfjsLoopSamplesPerSec: round(loop), toTfjsLoop: round(engine / loop, 2) } : {}),
        ...calls,
        ...(reference ? { torchSamplesPerSec: round(reference), loopToTorch: round(trained / reference, 3) } : {}),
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
