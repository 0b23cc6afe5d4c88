import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { MNIST_SHAPE } from '../config/datasetConfig.ts';
import { loadUploadedModel, modelShapeProblem, type UploadedModelFiles } from './uploadedModel.ts';
import { buildModel, readWeights } from './zoo.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** What `model.save()` writes, captured in memory: model.json and one weights file. */
async function saved(model: tf.LayersModel): Promise<UploadedModelFiles> {
  let files: UploadedModelFiles | null = null;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      files = {
        modelJson: { modelTopology: artifacts.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs! }] },
        weightFiles: new Map([['weights.bin', new Uint8Array(artifacts.weightData as ArrayBuffer)]]),
      };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return files!;
}

describe('uploaded models', () => {
  it('builds a saved LayersModel from memory with its weights, and accepts it for MNIST', async () => {
    const original = buildModel('mnist-cnn-small', 7);
    const loaded = await loadUploadedModel(await saved(original));
    if (!loaded.ok) throw new Error(loaded.reason);
    expect(await readWeights(loaded.model)).toEqual(await readWeights(original));
    expect(modelShapeProblem(loaded.model, MNIST_SHAPE)).toBeNull();
    original.dispose();
    loaded.model.dispose();
  });

  it('refuses a model whose shapes do not fit the dataset, naming both', async () => {
    const wrong = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [32, 32, 3] }), tf.layers.dense({ units: 5 })] });
    expect(modelShapeProblem(wrong, MNIST_SHAPE)).toBe(
      'the model takes [batch, 32, 32, 3] and gives [batch, 5]; the dataset needs it to take [batch, 28, 28, 1] (28x28x1 examples) and give [batch, 10] (10 classes)',
    );
    wrong.dispose();
  });

  it('names a weight file that model.json needs but was not uploaded, and a model.json without topology', async () => {
    const files = await saved(buildModel('mnist-mlp', 1));
    const missing = await loadUploadedModel({ ...files, weightFiles: new Map() });
    expect(missing).toEqual({ ok: false, reason: 'model.json names the weight file "weights.bin", which was not uploaded (uploaded: none)' });
    expect(await loadUploadedModel({ modelJson: {}, weightFiles: new Map() })).toMatchObject({ ok: false, reason: expect.stringMatching(/no modelTopology/) });
  });
});
