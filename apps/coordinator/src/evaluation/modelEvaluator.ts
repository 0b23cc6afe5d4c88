import * as tf from '@tensorflow/tfjs';
import {
  evaluateModel,
  MNIST_SHAPE,
  ModelCache,
  noTopology,
  subset,
  writeWeights,
  type ImageDataset,
  type ModelRef,
  type TopologyLoader,
} from '@flock/fl-core';
import type { DemoDatasetKind } from './mnistSource.ts';

export interface GlobalEvaluation {
  accuracy: number;
  loss: number;
}

/** The coordinator never trains; the CPU kernels are enough to score a model and behave the same everywhere. */
export async function useCpuBackend(): Promise<void> {
  // PROD mutes tfjs's console notes (its "install tfjs-node" banner) and nothing else.
  tf.env().set('PROD', true);
  if (tf.getBackend() !== 'cpu') await tf.setBackend('cpu');
  await tf.ready();
}

/**
 * Scores global models on a fixed prefix of their demo dataset's test set, so every round of a federation is
 * measured on the same examples. One model per architecture is built once and re-weighted.
 */
export class ModelEvaluator {
  private readonly models = new ModelCache();
  private readonly evalSets = new Map<string, ImageDataset>();

  /** `topology`: where uploaded models' topologies come from (the coordinator's upload store). */
  constructor(
    private readonly loadTestSet: (dataset: DemoDatasetKind) => Promise<ImageDataset>,
    private readonly topology: TopologyLoader = noTopology,
  ) {}

  async evaluate(model: ModelRef, weights: Float32Array, examples: number, dataset: DemoDatasetKind = 'mnist'): Promise<GlobalEvaluation> {
    const data = await this.evalSet(dataset, examples);
    // Demo datasets (the only ones the coordinator holds test data of) are all 28x28x1, 10 classes.
    const net = await this.models.resolve(model, MNIST_SHAPE, this.topology);
    writeWeights(net, weights);
    const { accuracy, loss } = await evaluateModel(net, data);
    return { accuracy, loss };
  }

  dispose(): void {
    this.models.dispose();
  }

  private async evalSet(dataset: DemoDatasetKind, examples: number): Promise<ImageDataset> {
    const key = `${dataset}/${examples}`;
    let set = this.evalSets.get(key);
    if (!set) {
      const test = await this.loadTestSet(dataset);
      const n = Math.min(examples, test.count);
      set = subset(
        test,
        Array.from({ length: n }, (_, i) => i),
      );
      this.evalSets.set(key, set);
    }
    return set;
  }
}
