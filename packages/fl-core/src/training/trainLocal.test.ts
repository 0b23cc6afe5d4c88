import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { subset } from '../data/dataset.ts';
import { loadMnist } from '../node/mnistFiles.ts';
import { buildModel, manifestOf, MODEL_ZOO, readWeights, writeWeights } from '../models/zoo.ts';
import { manifestSize } from '../codec/weightsCodec.ts';
import { trainLocal } from './trainLocal.ts';
import { evaluateModel } from './evaluate.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('model zoo', () => {
  it.each([
    ['mnist-mlp', 199_210],
    ['mnist-cnn', 1_663_370],
    ['mnist-cnn-small', 5_258],
  ] as const)('%s has %i parameters and a manifest named from its spec', (name, params) => {
    const model = buildModel(name, 1);
    expect(model.countParams()).toBe(params);
    const manifest = manifestOf(model);
    expect(manifestSize(manifest)).toBe(params);
    expect(manifest.map((t) => t.name)).toContain('logits/kernel');
    // A second instance in the same process gets the same names (tfjs would uniquify them).
    expect(manifestOf(buildModel(name, 1))).toEqual(manifest);
    model.dispose();
  });

  it('builds the same initial weights from the same seed', async () => {
    const [a, b] = [buildModel('mnist-cnn-small', 3), buildModel('mnist-cnn-small', 3)];
    expect(await readWeights(a)).toEqual(await readWeights(b));
    expect(Object.keys(MODEL_ZOO)).toHaveLength(4);
    a.dispose();
    b.dispose();
  });
});

describe('trainLocal', () => {
  it('learns on real MNIST, returns the delta it applied, and leaks no tensor across rounds', async () => {
    const train = await loadMnist('train');
    const local = subset(
      train,
      Array.from({ length: 300 }, (_, i) => i),
    );
    const model = buildModel('mnist-mlp', 1);
    const initial = await readWeights(model);
    const before = await evaluateModel(model, local);
    const config = { epochs: 1, batchSize: 10, learningRate: 0.1 };
    const progress: number[] = [];
    const first = await trainLocal(model, local, config, { onProgress: (p) => progress.push(p.batch) });
    const tensorsAfterFirst = tf.memory().numTensors;

    expect(first.numExamples).toBe(300);
    expect(first.engine).toEqual({ engine: 'tfjs', backend: 'cpu', reason: "Flock's WebGPU engine needs WebGPU" });
    expect(first.accuracy).toBeGreaterThan(before.accuracy + 0.3);
    expect(first.loss).toBeLessThan(before.loss);
    expect(progress).toEqual([10, 20, 30]);
    const trained = await readWeights(model);
    for (let i = 0; i < trained.length; i += 997) expect(trained[i]).toBeCloseTo(initial[i]! + first.delta[i]!, 5);

    for (let round = 0; round < 3; round++) {
      writeWeights(model, initial);
      await trainLocal(model, local, config, { seed: round });
    }
    expect(tf.memory().numTensors).toBe(tensorsAfterFirst);
    model.dispose();
  });
});
