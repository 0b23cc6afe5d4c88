import * as tf from '@tensorflow/tfjs';
import type { ImageDataset } from '../data/dataset.ts';
import { deltaBetween } from '../aggregation/vectorMath.ts';
import { readWeights } from '../models/zoo.ts';
import type { TrainingConfig } from '../protocol/device.ts';
import { evaluateModel, evaluateTensors } from './evaluate.ts';
import { residentTensors } from './tensors.ts';
import { trainEpochs, type EpochOptions } from './trainEpochs.ts';
import { trainingEngineFor, type TrainingEngine } from './trainingEngine.ts';
import { trainWithWgsl } from './trainWithWgsl.ts';

export interface LocalTrainingResult {
  /** Trained weights minus the weights the model held on entry. */
  delta: Float32Array;
  numExamples: number;
  /** Mean training loss of the last epoch. */
  loss: number;
  /** Accuracy of the trained model on the local examples. */
  accuracy: number;
  /** The loop that trained, and why not Flock's WebGPU engine when it did not. */
  engine: TrainingEngine;
}

export type TrainLocalOptions = EpochOptions;

/**
 * Trains `model` in place on `data` and returns its delta: on Flock's WGSL engine where tfjs runs on
 * WebGPU and the engine has every layer of the model, else on Flock's tfjs loop (`trainEpochs`); an
 * engine that cannot start on this model and shard hands the round to the tfjs loop, saying why.
 * The dataset stays resident (tensors, or the engine's buffers) for the next round on the same dataset object.
 */
export async function trainLocal(
  model: tf.LayersModel,
  data: ImageDataset,
  config: TrainingConfig,
  options: TrainLocalOptions = {},
): Promise<LocalTrainingResult> {
  let engine = trainingEngineFor(model);
  if (engine.engine === 'wgsl') {
    const trained = await trainWithWgsl(model, data, config, options);
    if (!('failed' in trained)) {
      // The tfjs loop's measure: the trained model on the local examples, scored by tfjs (uploaded for it, not kept).
      const { accuracy } = await evaluateModel(model, data);
      return { ...trained, accuracy, engine };
    }
    engine = { engine: 'tfjs', backend: engine.backend, reason: trained.failed };
  }
  const initial = await readWeights(model);
  const tensors = residentTensors(data);
  const loss = await trainEpochs(model, tensors, config, options);
  const trained = await readWeights(model);
  const delta = deltaBetween(initial, trained);
  const { accuracy } = await evaluateTensors(model, tensors);
  return { delta, numExamples: data.count, loss, accuracy, engine };
}
