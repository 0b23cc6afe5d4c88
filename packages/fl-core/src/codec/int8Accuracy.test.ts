import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { FedAvgAccumulator } from '../aggregation/fedAvgAccumulator.ts';
import { applyDelta } from '../aggregation/vectorMath.ts';
import { subset, type ImageDataset } from '../data/dataset.ts';
import { partitionIid } from '../data/partition.ts';
import { buildModel, manifestOf, readWeights, writeWeights } from '../models/zoo.ts';
import { loadMnist } from '../node/mnistFiles.ts';
import type { RoundCodec } from '../protocol/device.ts';
import { evaluateModel } from '../training/evaluate.ts';
import { RoundTrainer } from '../training/roundTrainer.ts';
import { decodeWeights, encodeWeights } from './weightsCodec.ts';

const DEVICES = 4;
const EXAMPLES = 100;
const ROUNDS = 3;
const SEED = 11;

let shards: ImageDataset[];
let test: ImageDataset;

beforeAll(async () => {
  await tf.setBackend('cpu');
  const train = await loadMnist('train');
  shards = partitionIid(train.count, DEVICES, EXAMPLES, SEED).map((indices) => subset(train, indices));
  test = await loadMnist('test');
});

/**
 * Headless devices as the Node client runs them (RoundTrainer: float16 downlink in, the round's
 * uplink codec out), folded as the coordinator folds them; test accuracy after the last round.
 */
async function federate(codec: RoundCodec): Promise<number> {
  const model = buildModel('mnist-mlp', SEED);
  const manifest = manifestOf(model);
  let global = await readWeights(model);
  const trainer = new RoundTrainer();
  for (let round = 1; round <= ROUNDS; round++) {
    const weights = encodeWeights(manifest, global, 'weights', { name: 'float16' });
    const acc = new FedAvgAccumulator(global.length);
    for (let d = 0; d < DEVICES; d++) {
      const job = {
        round,
        model: 'mnist-mlp' as const,
        weights,
        config: { epochs: 1, batchSize: 10, learningRate: 0.1 },
        shardId: `shard-${d}`,
        federationId: 'sim',
        codec,
      };
      const { payload, numExamples } = await trainer.train(job, shards[d]!);
      acc.add(decodeWeights(payload, manifest).values, numExamples);
    }
    global = applyDelta(global, acc.mean());
  }
  trainer.dispose();
  writeWeights(model, global);
  const { accuracy } = await evaluateModel(model, test);
  model.dispose();
  return accuracy * 100;
}

describe('int8 uplink in a simulation', () => {
  it('reaches float32 accuracy within 0.5 points on the same seed', async () => {
    const float32 = await federate({ uplink: 'float32' });
    const int8 = await federate({ uplink: 'int8' });
    console.log(`after ${ROUNDS} rounds, ${DEVICES} devices: float32 ${float32.toFixed(2)}%, int8 ${int8.toFixed(2)}%`);
    expect(float32).toBeGreaterThan(75);
    expect(Math.abs(int8 - float32)).toBeLessThanOrEqual(0.5);
  }, 180_000);
});
