import * as tf from '@tensorflow/tfjs';
import { decodeWeights, encodeWeights } from '../codec/weightsCodec.ts';
import type { ImageDataset } from '../data/dataset.ts';
import { seedFromText } from '../data/random.ts';
import type { DeviceTrainer, TrainingJob, TrainingOutcome, TrainingProgressView } from '../device/deviceAdapters.ts';
import { buildModel, manifestOf, writeWeights } from '../models/zoo.ts';
import type { ModelName } from '../protocol/messages.ts';
import { trainLocal } from '../training/trainLocal.ts';

/**
 * Trains in this process with tfjs (on whatever backend is set). One model per zoo name, reused;
 * jobs run one at a time, so many virtual devices can share one trainer (and one model) safely.
 */
export class InProcessTrainer implements DeviceTrainer {
  private readonly models = new Map<ModelName, tf.LayersModel>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly dataFor: (shardId: string) => ImageDataset) {}

  train(job: TrainingJob, onProgress: (p: TrainingProgressView) => void): Promise<TrainingOutcome> {
    const run = this.queue.then(() => this.run(job, onProgress));
    this.queue = run.catch(() => undefined);
    return run;
  }

  dispose(): void {
    for (const m of this.models.values()) m.dispose();
    this.models.clear();
  }

  private async run(job: TrainingJob, onProgress: (p: TrainingProgressView) => void): Promise<TrainingOutcome> {
    const data = this.dataFor(job.shardId);
    const model = this.modelFor(job.model);
    const manifest = manifestOf(model);
    const global = decodeWeights(job.weights, manifest);
    if (global.kind !== 'weights') throw new Error('round:start carried a delta where the global weights belong');
    writeWeights(model, global.values);
    const result = await trainLocal(model, data, job.config, {
      // Per device and round: devices sharing one shuffle order would correlate their updates.
      seed: seedFromText(`${job.shardId}/${job.round}`),
      onProgress,
    });
    const payload = encodeWeights(manifest, result.delta, 'delta') as Uint8Array<ArrayBuffer>;
    return { payload, numExamples: result.numExamples, loss: result.loss, accuracy: result.accuracy, numTensors: tf.memory().numTensors };
  }

  private modelFor(name: ModelName): tf.LayersModel {
    let model = this.models.get(name);
    if (!model) {
      model = buildModel(name);
      this.models.set(name, model);
    }
    return model;
  }
}
