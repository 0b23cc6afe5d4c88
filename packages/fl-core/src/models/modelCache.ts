import type * as tf from '@tensorflow/tfjs';
import { MNIST_SHAPE, type DataShape } from '../config/datasetConfig.ts';
import { isUploadedModel, type ModelRef, type UploadedModelId } from '../protocol/device.ts';
import type { ZooModelName } from '../protocol/modelNames.ts';
import { modelFromTopology } from './uploadedModel.ts';
import { buildModel } from './zoo.ts';

/** Where a device gets an uploaded model's topology (its federation's public model route). */
export type TopologyLoader = (model: UploadedModelId) => Promise<unknown>;

/**
 * One instance per zoo model name and data shape, and per uploaded model id, built on first use and
 * reused: weights are written in per use. An uploaded id names one immutable upload, so its topology
 * is fetched once.
 */
export class ModelCache {
  private readonly zoo = new Map<string, tf.Sequential>();
  private readonly uploaded = new Map<UploadedModelId, Promise<tf.LayersModel>>();

  get(name: ZooModelName, shape: DataShape = MNIST_SHAPE): tf.Sequential {
    const key = `${name}/${shape.inputShape.join('x')}/${shape.numClasses}`;
    let model = this.zoo.get(key);
    if (!model) {
      model = buildModel(name, 0, shape);
      this.zoo.set(key, model);
    }
    return model;
  }

  /** A zoo model sized by `shape`, or an uploaded model built from the topology `topology` loads. */
  async resolve(model: ModelRef, shape: DataShape, topology: TopologyLoader): Promise<tf.LayersModel> {
    if (!isUploadedModel(model)) return this.get(model, shape);
    let built = this.uploaded.get(model);
    if (!built) {
      built = topology(model).then(modelFromTopology);
      this.uploaded.set(model, built);
      // A failed fetch is tried again next time.
      built.catch(() => this.uploaded.delete(model));
    }
    return built;
  }

  dispose(): void {
    for (const m of this.zoo.values()) m.dispose();
    this.zoo.clear();
    for (const m of this.uploaded.values())
      void m.then(
        (built) => built.dispose(),
        () => undefined,
      );
    this.uploaded.clear();
  }
}
