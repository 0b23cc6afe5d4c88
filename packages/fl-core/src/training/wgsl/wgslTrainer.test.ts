import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel, MODEL_NAMES } from '../../models/zoo.ts';
import { wgslSupport } from './layerPlan.ts';
import type { ParityReport } from './wgslParity.fixture.ts';

/** Debian's Chromium ships a Vulkan loader and SwiftShader: Dawn finds its adapter there when the system has no loader. */
const CHROMIUM_LIBS = '/usr/lib/chromium';
const SWIFTSHADER_ICD = `${CHROMIUM_LIBS}/vk_swiftshader_icd.json`;

async function runParity(): Promise<ParityReport | { noAdapter: string }> {
  const env = { ...process.env };
  if (existsSync(`${CHROMIUM_LIBS}/libvulkan.so.1`)) env.LD_LIBRARY_PATH = [env.LD_LIBRARY_PATH, CHROMIUM_LIBS].filter(Boolean).join(':');
  if (!env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  const fixture = fileURLToPath(new URL('./wgslParity.fixture.ts', import.meta.url));
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', fixture], { env, maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as ParityReport | { noAdapter: string };
}

describe('WGSL engine on Dawn (SwiftShader here)', () => {
  let report: ParityReport | { noAdapter: string };
  beforeAll(async () => {
    report = await runParity();
  }, 300_000);

  const trained = (skip: (reason: string) => void): ParityReport => {
    if ('noAdapter' in report) skip(`no WebGPU adapter for Dawn: ${report.noAdapter}`);
    return report as ParityReport;
  };

  it.for([
    ['mnist-mlp', 'sgd'],
    ['mnist-mlp', 'momentum'],
    ['mnist-mlp', 'adam'],
    ['mnist-mlp', 'sgd with FedProx'],
    ['mnist-cnn-small', 'sgd'],
    ['mnist-cnn-small', 'adam'],
    ['mnist-cnn', 'sgd'],
    ['overlapping-pool-cnn', 'momentum'],
    ['uploaded-cnn', 'sgd'],
  ])('follows the tfjs loop from the same weights and batch order on %s (%s): per-epoch losses within 1e-4 over 3 epochs', ([model, name], { skip }) => {
    const result = trained(skip).cases.find((c) => c.model === model && c.name === name)!;
    expect(result.wgsl).toHaveLength(3);
    for (let epoch = 0; epoch < 3; epoch++) expect(Math.abs(result.wgsl[epoch]! - result.tfjsLoop[epoch]!)).toBeLessThan(1e-4);
    // The trained weights written back into the tfjs model are the loop's.
    expect(result.maxWeightDifference).toBeLessThan(1e-4);
  });

  it.for(['mnist-mlp', 'mnist-cnn-small', 'mnist-cnn', 'overlapping-pool-cnn', 'uploaded-cnn', 'dropout'])(
    'trains %s twice from the same weights with the same seed to the same bits: weights and per-epoch losses',
    (model, { skip }) => {
      const repeat = trained(skip).repeats.find((r) => r.model === model)!;
      expect(repeat.maxWeightDifference).toBe(0);
      expect(repeat).toMatchObject({ sameWeights: true, sameLosses: true });
    },
  );

  it('keeps its GPU buffer count flat across repeated trainings of one model and shard', ({ skip }) => {
    for (const counts of Object.values(trained(skip).liveBuffers)) expect(new Set(counts).size).toBe(1);
  });

  it('records at most 12 dispatches per step for mnist-mlp and at most 24 for mnist-cnn', ({ skip }) => {
    const { dispatchesPerStep } = trained(skip);
    expect(dispatchesPerStep['mnist-mlp']).toBeLessThanOrEqual(12);
    expect(dispatchesPerStep['mnist-cnn']).toBeLessThanOrEqual(24);
  });

  it('trains a model with tanh and dropout: the loss falls', ({ skip }) => {
    const losses = trained(skip).dropoutLosses;
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[2]).toBeLessThan(losses[0]!);
  });
});

describe('wgslSupport', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('accepts every zoo model', () => {
    for (const name of MODEL_NAMES) {
      const model = buildModel(name, 1);
      expect(wgslSupport(model)).toEqual({ ok: true });
      model.dispose();
    }
  });

  it('names the layer that keeps a CNN on the tfjs loop', () => {
    const strided = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 4, kernelSize: 3, strides: 2, name: 'down' }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 2 }),
      ],
    });
    expect(wgslSupport(strided)).toEqual({
      ok: false,
      reason: 'Conv2D layer "down" has strides 2x2; the WGSL engine runs stride 1, so it trains on the tfjs loop',
    });
    const averaged = tf.sequential({
      layers: [tf.layers.averagePooling2d({ inputShape: [8, 8, 1], poolSize: 2 }), tf.layers.flatten(), tf.layers.dense({ units: 2 })],
    });
    expect(wgslSupport(averaged)).toEqual({ ok: false, reason: 'AveragePooling2D layers train on the tfjs loop for now' });
    strided.dispose();
    averaged.dispose();
  });

  it('says why a Dense layer on images without a Flatten, or a relu, softmax or sigmoid output, stays on the tfjs loop', () => {
    const unflattened = tf.sequential({ layers: [tf.layers.dense({ inputShape: [28, 28, 1], units: 10, name: 'head' })] });
    expect(wgslSupport(unflattened)).toEqual({
      ok: false,
      reason: 'Dense layer "head" takes a rank-4 input; add a Flatten before it to train with the WGSL engine',
    });
    // The tfjs loop scores any output as logits: a softmax or sigmoid output on the engine would train another objective.
    for (const activation of ['relu', 'softmax', 'sigmoid'] as const) {
      const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 3, activation })] });
      expect(wgslSupport(model)).toEqual({
        ok: false,
        reason: `a last Dense layer with a ${activation} output trains on the tfjs loop (Flock scores a model's output as logits: leave the last layer linear)`,
      });
      model.dispose();
    }
    unflattened.dispose();
  });
});
