import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeModelDelta, onDownlinkGrid } from '../codec/downlinkDelta.ts';
import { MemoryResidualStore } from '../codec/residualStore.ts';
import { decodeWeights, encodeWeights } from '../codec/weightsCodec.ts';
import { subset } from '../data/dataset.ts';
import { loadMnist } from '../node/mnistFiles.ts';
import { buildModel, manifestOf, readWeights } from '../models/zoo.ts';
import { RoundTrainer, type RoundTrainerJob } from './roundTrainer.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('RoundTrainer codecs', () => {
  it('encodes the delta with the codec the round names, float32 when it names none', async () => {
    const model = buildModel('mnist-cnn-small', 1);
    const manifest = manifestOf(model);
    const global = await readWeights(model);
    model.dispose();
    const data = subset(
      await loadMnist('test'),
      Array.from({ length: 40 }, (_, i) => i),
    );
    const trainer = new RoundTrainer();
    const job = (round: number, codec?: RoundTrainerJob['codec'], weights = encodeWeights(manifest, global, 'weights')): RoundTrainerJob => ({
      round,
      model: 'mnist-cnn-small',
      weights,
      config: { epochs: 1, batchSize: 10, learningRate: 0.1 },
      shardId: 'shard-1',
      federationId: 'fed',
      codec,
    });

    const plain = decodeWeights((await trainer.train(job(1), data)).payload, manifest);
    expect(plain.codec).toBe('float32');
    const int8 = decodeWeights((await trainer.train(job(1, { uplink: 'int8' }), data)).payload, manifest);
    expect(int8.codec).toBe('int8');
    // Same round, same shard, same start: the int8 delta is the float32 one within a scale step.
    const maxAbs = plain.values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    for (let i = 0; i < plain.values.length; i++) expect(Math.abs(int8.values[i]! - plain.values[i]!)).toBeLessThanOrEqual(maxAbs / 127 + 1e-7);

    // Float16 global weights (a float16 downlink) load as well.
    const halfGlobal = encodeWeights(manifest, global, 'weights', { name: 'float16' });
    const topkJob = (federationId: string): RoundTrainerJob => ({ ...job(2, { uplink: 'topk', topkFraction: 0.05 }, halfGlobal), federationId });
    const first = (await trainer.train(topkJob('a'), data)).payload;
    const decoded = decodeWeights(first, manifest);
    expect(decoded.codec).toBe('topk');
    expect(decoded.carried).toBe(Math.ceil(0.05 * global.length));
    // The same work again adds what the first payload kept back; another federation starts with nothing kept.
    const second = (await trainer.train(topkJob('a'), data)).payload;
    expect(second).not.toEqual(first);
    expect((await trainer.train(topkJob('b'), data)).payload).toEqual(first);
    trainer.dispose();

    // A fresh trainer on the same residual store (a reloaded tab) goes on from what the store kept.
    const store = new MemoryResidualStore();
    const before = new RoundTrainer({ residuals: store });
    expect((await before.train(topkJob('a'), data)).payload).toEqual(first);
    before.dispose();
    const reloaded = new RoundTrainer({ residuals: store });
    expect((await reloaded.train(topkJob('a'), data)).payload).toEqual(second);
    reloaded.dispose();
  });

  it('takes a downlink delta against the model it kept from the previous round, and says so when it has none', async () => {
    const model = buildModel('mnist-cnn-small', 1);
    const manifest = manifestOf(model);
    const global = await readWeights(model);
    model.dispose();
    const data = subset(
      await loadMnist('test'),
      Array.from({ length: 20 }, (_, i) => i),
    );
    const trainer = new RoundTrainer();
    const base = { model: 'mnist-cnn-small' as const, config: { epochs: 1, batchSize: 10, learningRate: 0.1 }, shardId: 'shard-1', federationId: 'fed' };
    await trainer.train({ ...base, round: 1, weights: encodeWeights(manifest, global, 'weights', { name: 'float16' }) }, data);
    const next = global.map((v) => v + 1e-3);
    const delta = encodeModelDelta(manifest, onDownlinkGrid(global, 'float16'), next);
    const outcome = await trainer.train({ ...base, round: 2, weights: delta, modelBase: { round: 1, precision: 'float16' } }, data);
    expect(decodeWeights(outcome.payload, manifest).kind).toBe('delta');
    await expect(trainer.train({ ...base, round: 9, weights: delta, modelBase: { round: 7, precision: 'float16' } }, data)).rejects.toThrow(
      'round:start sent a delta against the model of round 7, which this device no longer holds',
    );
    trainer.dispose();
  });
});
