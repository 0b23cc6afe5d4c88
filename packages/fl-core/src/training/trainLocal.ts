import * as tf from '@tensorflow/tfjs';
import type { ImageDataset } from '../data/dataset.ts';
import { deltaBetween } from '../aggregation/vectorMath.ts';
import { readWeights } from '../models/zoo.ts';
import type { TrainingConfig } from '../protocol/device.ts';
import { evaluateTensors } from './evaluate.ts';
import { residentTensors } from './tensors.ts';
import { trainEpochs, type EpochOptions } from './trainEpochs.ts';

export interface LocalTrainingResult {
  /** Trained weights minus the weights the model held on entry. */
  delta: Float32Array;
  numExamples: number;
  /** Mean training loss of the last epoch. */
  loss: number;
  /** Accuracy of the trained model on the local examples. */
  accuracy: number;
}

export type TrainLocalOptions = EpochOptions;

/**
 * Trains `model` in place on `data` with plain SGD (Flock's loop, `trainEpochs`) and returns its
 * delta. The dataset stays resident on the backend for the next round on the same dataset object.
 */
export async function trainLocal(
  model: tf.LayersModel,
  data: ImageDataset,
  config: TrainingConfig,
  options: TrainLocalOptions = {},
): Promise<LocalTrainingResult> {
  const initial = await readWeights(model);
  const tensors = residentTensors(data);
  const loss = await trainEpochs(model, tensors, config, options);
  const trained = await readWeights(model);
  const delta = deltaBetween(initial, trained);
  const { accuracy } = await evaluateTensors(model, tensors);
  return { delta, numExamples: data.count, loss, accuracy };
}
