import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from '../models/zoo.ts';
import { chooseTrainingEngine, ENGINE_NEEDS_WEBGPU, trainingEngineFor } from './trainingEngine.ts';

describe('which loop trains a round', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it("is Flock's WebGPU engine on webgpu for a model it has every layer of", () => {
    expect(chooseTrainingEngine('webgpu', { ok: true })).toEqual({ engine: 'wgsl', backend: 'webgpu' });
  });

  it('is the tfjs loop on any other backend, because the engine needs WebGPU', () => {
    for (const backend of ['webgl', 'wasm', 'cpu']) {
      expect(chooseTrainingEngine(backend, { ok: true })).toEqual({ engine: 'tfjs', backend, reason: ENGINE_NEEDS_WEBGPU });
    }
    expect(ENGINE_NEEDS_WEBGPU).toBe("Flock's WebGPU engine needs WebGPU");
  });

  it('is the tfjs loop on webgpu for a model with a layer the engine lacks, saying which', () => {
    const reason = 'LSTM layers train on the tfjs loop for now';
    expect(chooseTrainingEngine('webgpu', { ok: false, reason })).toEqual({ engine: 'tfjs', backend: 'webgpu', reason });
  });

  it('reads the backend active now', () => {
    const model = buildModel('mnist-mlp', 1);
    expect(trainingEngineFor(model)).toEqual({ engine: 'tfjs', backend: 'cpu', reason: ENGINE_NEEDS_WEBGPU });
    model.dispose();
  });
});
