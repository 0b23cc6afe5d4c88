import type * as tf from '@tensorflow/tfjs';
import { MNIST_SHAPE, type DataShape } from '../protocol/datasetConfig.ts';
import type { ZooModelName } from './modelNames.ts';
import { buildModel } from './zoo.ts';

/** One instance per zoo model name and data shape, built on first use and reused: weights are written in per use. */
export class ZooModelCache {
  private readonly models = new Map<string, tf.Sequential>();

  get(name: ZooModelName, shape: DataShape = MNIST_SHAPE): tf.Sequential {
    const key = `${name}/${shape.inputShape.join('x')}/${shape.numClasses}`;
    let model = this.models.get(key);
    if (!model) {
      model = buildModel(name, 0, shape);
      this.models.set(key, model);
    }
    return model;
  }

  dispose(): void {
    for (const m of this.models.values()) m.dispose();
    this.models.clear();
  }
}
