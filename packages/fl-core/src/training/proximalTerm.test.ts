import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../data/random.ts';
import type { ImageDataset } from '../data/dataset.ts';
import { buildModel, readWeights } from '../models/zoo.ts';
import { l2Norm } from '../aggregation/vectorMath.ts';
import { proximalTerm } from './proximalTerm.ts';
import { releaseResidentTensors, residentTensors } from './tensors.ts';
import { trainEpochs } from './trainEpochs.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('FedProx proximal term', () => {
  it('is mu/2 ||w - w_entry||^2 and its gradient mu (w - w_entry)', async () => {
    const v = tf.variable(tf.tensor1d([1, 2]));
    const term = proximalTerm([v], 0.5)!;
    v.assign(tf.tensor1d([3, 2]));
    expect((await term.penalty().data())[0]).toBeCloseTo(1, 6); // 0.25 * 2^2
    const { grads } = tf.variableGrads(() => term.penalty(), [v]);
    expect([...(await grads[v.name]!.data())]).toEqual([1, 0]);
    term.dispose();
    tf.dispose([v, grads[v.name]!]);
    expect(proximalTerm([], 0)).toBeNull();
  });

  it('keeps local training closer to the global model, and leaks no tensor', async () => {
    const rng = createRng(3);
    const data: ImageDataset = {
      count: 40,
      height: 28,
      width: 28,
      channels: 1,
      numClasses: 10,
      labels: new Uint8Array(40).map((_, i) => i % 10),
      pixels: new Uint8Array(40 * 784).map(() => Math.floor(rng() * 256)),
    };
    const config = { epochs: 2, batchSize: 8, learningRate: 0.1 };
    const drift = async (proximalMu: number) => {
      const model = buildModel('mnist-mlp', 5);
      const start = await readWeights(model);
      const tensors = residentTensors(data);
      const before = tf.memory().numTensors;
      await trainEpochs(model, tensors, config, { seed: 1, proximalMu });
      expect(tf.memory().numTensors).toBe(before);
      const end = await readWeights(model);
      model.dispose();
      return l2Norm(end.map((x, i) => x - start[i]!));
    };
    expect(await drift(2)).toBeLessThan(0.9 * (await drift(0)));
    releaseResidentTensors();
  });
});
