import type * as tf from '@tensorflow/tfjs';
import type { ZooModelName } from './modelNames.ts';
import { buildModel } from './zoo.ts';

/** One instance per zoo model name, built on first use and reused: weights are written in per use. */
export class ZooModelCache {
  private readonly models = new Map<ZooModelName, tf.Sequential>();

  get(name: ZooModelName): tf.Sequential {
    let model = this.models.get(name);
    if (!model) {
      model = buildModel(name);
      this.models.set(name, model);
    }
    return model;
  }

  dispose(): void {
    for (const m of this.models.values()) m.dispose();
    this.models.clear();
  }
}
