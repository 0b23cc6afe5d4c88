import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeWeights, encodeWeights } from '../codec/weightsCodec.ts';
import { subset } from '../data/dataset.ts';
import { loadMnist } from '../node/mnistFiles.ts';
import { buildModel, manifestOf, readWeights } from '../models/zoo.ts';
import { l2Norm } from '../aggregation/vectorMath.ts';
import { RoundTrainer, type RoundTrainerJob } from './roundTrainer.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('RoundTrainer honours the round instructions', () => {
  it('clips the delta to clipNorm, adds local DP noise, and trains FedProx closer to the global model', async () => {
    const model = buildModel('mnist-cnn-small', 1);
    const manifest = manifestOf(model);
    const weights = encodeWeights(manifest, await readWeights(model), 'weights');
    model.dispose();
    const data = subset(
      await loadMnist('test'),
      Array.from({ length: 40 }, (_, i) => i),
    );
    const trainer = new RoundTrainer();
    const job = (instructions?: RoundTrainerJob['instructions']): RoundTrainerJob => ({
      round: 1,
      model: 'mnist-cnn-small',
      weights,
      config: { epochs: 2, batchSize: 10, learningRate: 0.1 },
      shardId: 'shard-1',
      codec: { uplink: 'float32' },
      instructions,
    });
    const norm = async (instructions?: RoundTrainerJob['instructions']) =>
      l2Norm(decodeWeights((await trainer.train(job(instructions), data)).payload, manifest).values);

    const plain = await norm();
    expect(plain).toBeGreaterThan(0.05);
    expect(await norm({ clipNorm: 0.05 })).toBeCloseTo(0.05, 4);
    // 5,258 values each with N(0, 1) noise: a norm near sqrt(5258) = 72.5
    expect(await norm({ clipNorm: 0.05, noiseStd: 1 })).toBeGreaterThan(65);
    expect(await norm({ proximalMu: 2 })).toBeLessThan(plain);
    trainer.dispose();
  });
});
