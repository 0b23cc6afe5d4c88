import { saveInMemory, type ModelRef, type TrainingConfig } from '@flock/fl-core';
import { expect, test, type Page } from '@playwright/test';
import * as tf from '@tensorflow/tfjs';
import { build } from 'esbuild';
import { adminHeaders } from './support/coordinator.ts';
import type * as Tab from './support/wgslParityTab.ts';

type TabApi = typeof Tab;

const bundled = build({
  entryPoints: [new URL('./support/wgslParityTab.ts', import.meta.url).pathname],
  bundle: true,
  format: 'iife',
  globalName: 'wgslParity',
  platform: 'browser',
  write: false,
}).then((result) => result.outputFiles[0]!.text);

/** A page of the coordinator's origin (WebGPU needs a secure context; uploaded models are fetched from it) running the bundle. */
async function openTab(page: Page): Promise<string> {
  const script = await bundled;
  await page.route('**/wgsl-parity-tab', (route) =>
    route.fulfill({ contentType: 'text/html', body: '<!doctype html><script src="/wgsl-parity-tab.js"></script>' }),
  );
  await page.route('**/wgsl-parity-tab.js', (route) => route.fulfill({ contentType: 'text/javascript', body: script }));
  await page.goto('/wgsl-parity-tab');
  return page.evaluate(() => (globalThis as unknown as { wgslParity: TabApi }).wgslParity.start());
}

/** A CNN written as an operator would (logits out, seeded initializers), uploaded as model.save() writes it. */
async function uploadCnn(request: import('@playwright/test').APIRequestContext): Promise<ModelRef> {
  await tf.setBackend('cpu');
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(8) }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 32, activation: 'tanh', kernelInitializer: init(9) }),
      tf.layers.dense({ units: 10, kernelInitializer: init(10) }),
    ],
  });
  const { modelJson, weights } = await saveInMemory(model);
  model.dispose();
  const uploaded = await request.post('/api/models', {
    headers: adminHeaders,
    data: {
      name: 'wgsl parity cnn',
      dataset: { kind: 'mnist', partition: 'iid', examplesPerDevice: 32, numDevices: 1, seed: 9 },
      modelJson,
      weights: { 'weights.bin': Buffer.from(weights).toString('base64') },
    },
  });
  expect(uploaded.status(), await uploaded.text()).toBe(201);
  return ((await uploaded.json()) as { id: ModelRef }).id;
}

interface Case {
  model: ModelRef | 'uploaded';
  examples: number;
  config: TrainingConfig;
  /** Tabular rows of this many features (the tabular model); MNIST-shaped images otherwise. */
  features?: number;
}

// Small shards, a few steps per epoch: tfjs's cpu kernels are slow on mnist-cnn's 1.7 million parameters.
const CASES: Case[] = [
  { model: 'mnist-mlp', examples: 32, config: { epochs: 3, batchSize: 8, learningRate: 0.001, optimizer: 'adam' } },
  { model: 'mnist-cnn-small', examples: 32, config: { epochs: 3, batchSize: 8, learningRate: 0.05 } },
  { model: 'mnist-cnn', examples: 4, config: { epochs: 3, batchSize: 2, learningRate: 0.05 } },
  { model: 'tabular-mlp', examples: 64, config: { epochs: 3, batchSize: 16, learningRate: 0.05, optimizer: 'momentum' }, features: 12 },
  { model: 'uploaded', examples: 32, config: { epochs: 3, batchSize: 8, learningRate: 0.05 } },
];

test("in a WebGPU tab, Flock's engine follows the tfjs loop's losses within 1e-4 over 3 epochs for every zoo model and an uploaded one", async ({
  page,
  request,
}) => {
  const uploaded = await uploadCnn(request);
  expect(await openTab(page)).toBe('webgpu');
  for (const c of CASES) {
    const model = c.model === 'uploaded' ? uploaded : c.model;
    const run = await page.evaluate(
      ([m, examples, config, features]) => (globalThis as unknown as { wgslParity: TabApi }).wgslParity.parity(m, examples, config, features),
      [model, c.examples, c.config, c.features] as const,
    );
    const label = `${c.model}: tfjs loop ${run.tfjsLoop.join(', ')}; engine ${run.engine.join(', ')}`;
    expect(run.engineFailed, label).toBeUndefined();
    expect(run.backend, label).toBe('webgpu');
    expect(run.engine, label).toHaveLength(3);
    expect(run.tfjsLoop, label).toHaveLength(3);
    const maxDifference = Math.max(...run.engine.map((loss, i) => Math.abs(loss - run.tfjsLoop[i]!)));
    expect(maxDifference, label).toBeLessThan(1e-4);
    const seconds = (ms: number) => (ms / 1000).toFixed(1);
    console.log(`${label}; max difference ${maxDifference.toExponential(1)} (tfjs loop ${seconds(run.tfjsLoopMs)} s, engine ${seconds(run.engineMs)} s)`);
  }
});

test("50 rounds on Flock's engine in a WebGPU tab keep the engine's buffers, the device's buffers and GPU bytes flat", async ({ page }) => {
  expect(await openTab(page)).toBe('webgpu');
  const startedAt = Date.now();
  const run = await page.evaluate(() => (globalThis as unknown as { wgslParity: TabApi }).wgslParity.memoryAcrossRounds(50));
  expect(run.engineFailed).toBeUndefined();
  expect(run.rounds).toHaveLength(50);
  const [first] = run.rounds;
  expect(first!.engineBuffers).toBeGreaterThan(0);
  expect(first!.engineBytes).toBeGreaterThan(0);
  for (const [i, sample] of run.rounds.entries()) expect(sample, `round ${i + 1}`).toEqual(first);
  // Released (another model or shard, or the session's end): the engine's buffers are destroyed, tfjs's stay pooled.
  expect(run.released.engineBuffers).toBe(0);
  expect(run.released.deviceBuffers).toBe(first!.deviceBuffers - first!.engineBuffers);
  console.log(
    `50 engine rounds in ${((Date.now() - startedAt) / 1000).toFixed(1)} s: engine ${first!.engineBuffers} buffers, ${first!.engineBytes} bytes; ` +
      `device ${first!.deviceBuffers} buffers; tfjs ${first!.tensorBytes} GPU bytes, ${first!.numTensors} tensors throughout`,
  );
});
