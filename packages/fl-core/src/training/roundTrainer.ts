import * as tf from '@tensorflow/tfjs';
import { decodeWeights, encodeWeights } from '../codec/weightsCodec.ts';
import type { ImageDataset } from '../data/dataset.ts';
import { seedFromText } from '../data/random.ts';
import { ZooModelCache } from '../models/modelCache.ts';
import { manifestOf, writeWeights } from '../models/zoo.ts';
import type { TrainingJob, TrainingOutcome } from '../device/deviceAdapters.ts';
import { trainLocal, type TrainLocalOptions } from './trainLocal.ts';

/**
 * One device's side of a round, the same in a tab's worker and in Node: load the global weights into
 * the zoo model (built once per name), train on the local data, encode the delta.
 */
export class RoundTrainer {
  private readonly models = new ZooModelCache();

  async train(
    job: TrainingJob,
    data: ImageDataset,
    options: Pick<TrainLocalOptions, 'progressEvery' | 'onProgress'> = {},
  ): Promise<TrainingOutcome & { numTensors: number }> {
    const model = this.models.get(job.model);
    const manifest = manifestOf(model);
    const global = decodeWeights(job.weights, manifest);
    if (global.kind !== 'weights') throw new Error('round:start carried a delta where the global weights belong');
    writeWeights(model, global.values);
    const result = await trainLocal(model, data, job.config, {
      ...options,
      // Per device and round: devices sharing one shuffle order would correlate their updates.
      seed: seedFromText(`${job.shardId}/${job.round}`),
    });
    const payload = encodeWeights(manifest, result.delta, 'delta') as Uint8Array<ArrayBuffer>;
    return { payload, numExamples: result.numExamples, loss: result.loss, accuracy: result.accuracy, numTensors: tf.memory().numTensors };
  }

  dispose(): void {
    this.models.dispose();
  }
}
