import type * as tf from '@tensorflow/tfjs';
import type { ImageDataset } from '../data/dataset.ts';
import type { TrainingConfig } from '../protocol/device.ts';
import { residentWgslTrainer, retireResidentWgslTrainer } from './residentWgslTrainer.ts';
import type { EpochOptions } from './trainEpochs.ts';
import { ENGINE_NEEDS_WEBGPU } from './trainingEngine.ts';
import { tfjsWebGpuDevice, type WgslTrainer, type WgslTrainingResult } from './wgsl/wgslTrainer.ts';

export interface WgslRound {
  /** Trained weights minus the weights the model held on entry (the model now holds the trained ones). */
  delta: Float32Array;
  numExamples: number;
  /** Mean training loss of the last epoch. */
  loss: number;
}

/** A progress callback's own error (a device told to stop), carried through the engine: not a failure of the engine. */
class ProgressCallbackThrew extends Error {
  constructor(readonly error: unknown) {
    super('the progress callback stopped training');
  }
}

/**
 * One round on Flock's WGSL engine, kept resident for the model and shard: the same seed, batch
 * order, optimizer and FedProx term as the tfjs loop, progress once per epoch. An engine that
 * cannot start or fails returns why, with the model still holding its entry weights, so the round
 * can go to the tfjs loop; a throwing `onProgress` stops training as it does there.
 */
export async function trainWithWgsl(
  model: tf.LayersModel,
  data: ImageDataset,
  config: TrainingConfig,
  options: EpochOptions,
): Promise<WgslRound | { failed: string }> {
  const device = tfjsWebGpuDevice();
  if (!device) return { failed: ENGINE_NEEDS_WEBGPU };
  let trainer: WgslTrainer;
  try {
    trainer = await residentWgslTrainer(device, model, data);
  } catch (err) {
    return { failed: errorText(err) };
  }
  const batches = Math.ceil(data.count / config.batchSize);
  let result: WgslTrainingResult;
  try {
    result = await trainer.train(config, {
      seed: options.seed,
      order: options.order,
      proximalMu: options.proximalMu,
      onEpoch: ({ epoch, epochs, loss }) => {
        try {
          options.onProgress?.({ epoch, epochs, batch: batches, batches, loss });
        } catch (error) {
          throw new ProgressCallbackThrew(error);
        }
      },
    });
  } catch (err) {
    if (err instanceof ProgressCallbackThrew) throw err.error;
    const why = new Error(`Flock's WebGPU engine failed on this model and data (${errorText(err)})`);
    retireResidentWgslTrainer(why);
    return { failed: why.message };
  }
  return { delta: result.delta, numExamples: result.numExamples, loss: result.loss };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
