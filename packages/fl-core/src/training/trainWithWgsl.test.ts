import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type * as tf from '@tensorflow/tfjs';
import type { ImageDataset } from '../data/dataset.ts';
import { releaseResidentWgslTrainer, residentWgslMemory } from './residentWgslTrainer.ts';
import type { TrainingProgress } from './trainEpochs.ts';
import { trainWithWgsl } from './trainWithWgsl.ts';
import type { WgslTrainOptions } from './wgsl/wgslTrainer.ts';

/** A stand-in engine: what trainWithWgsl does around it (keeping it, falling back, stopping) needs no GPU. */
const engine = vi.hoisted(() => ({
  device: { label: 'the GPU device tfjs runs on' },
  create: vi.fn(),
  train: vi.fn(),
  dispose: vi.fn(),
  gpuMemory: vi.fn(),
}));

vi.mock('./wgsl/wgslTrainer.ts', () => ({
  tfjsWebGpuDevice: () => engine.device,
  WgslTrainer: { create: engine.create },
}));

const model = {} as tf.LayersModel;
const data = { count: 25 } as ImageDataset;
const config = { epochs: 2, batchSize: 10, learningRate: 0.1 };
const trained = { delta: new Float32Array([1]), numExamples: 25, loss: 0.5, accuracy: 0.9 };

beforeEach(() => {
  engine.create.mockResolvedValue({ train: engine.train, dispose: engine.dispose, gpuMemory: engine.gpuMemory });
  engine.gpuMemory.mockReturnValue({ buffers: 20, bytes: 4096 });
  engine.train.mockImplementation(async (_config: unknown, options: WgslTrainOptions) => {
    for (const epoch of [1, 2]) options.onEpoch?.({ epoch, epochs: 2, loss: 1 / epoch, accuracy: 0.5 });
    return trained;
  });
});

afterEach(() => {
  releaseResidentWgslTrainer();
  vi.resetAllMocks();
});

describe('a round on the WGSL engine', () => {
  it('reports progress once per epoch and keeps the engine for the next round on the same model and shard', async () => {
    const progress: TrainingProgress[] = [];
    const options = { seed: 4, proximalMu: 0.01, onProgress: (p: TrainingProgress) => progress.push(p) };
    expect(await trainWithWgsl(model, data, config, options)).toEqual({ delta: trained.delta, numExamples: 25, loss: 0.5 });
    expect(progress).toEqual([
      { epoch: 1, epochs: 2, batch: 3, batches: 3, loss: 1 },
      { epoch: 2, epochs: 2, batch: 3, batches: 3, loss: 0.5 },
    ]);
    expect(engine.train).toHaveBeenCalledWith(config, expect.objectContaining({ seed: 4, proximalMu: 0.01 }));
    await trainWithWgsl(model, data, config, {});
    expect(engine.create).toHaveBeenCalledTimes(1);
    await trainWithWgsl(model, { ...data }, config, {});
    expect(engine.create).toHaveBeenCalledTimes(2);
    expect(engine.dispose).toHaveBeenCalledTimes(1);
  });

  it('says why when the engine cannot start, and does not try again on the same model and shard', async () => {
    engine.create.mockRejectedValue(new Error('the model takes 784 values; the data has 4'));
    const failed = { failed: "Flock's WebGPU engine could not start on this model and data (the model takes 784 values; the data has 4)" };
    expect(await trainWithWgsl(model, data, config, {})).toEqual(failed);
    expect(await trainWithWgsl(model, data, config, {})).toEqual(failed);
    expect(engine.create).toHaveBeenCalledTimes(1);
  });

  it('frees an engine that failed while training and hands the next rounds to the tfjs loop', async () => {
    engine.train.mockRejectedValue(new Error('the device was lost'));
    const failed = { failed: "Flock's WebGPU engine failed on this model and data (the device was lost)" };
    expect(await trainWithWgsl(model, data, config, {})).toEqual(failed);
    await vi.waitFor(() => expect(engine.dispose).toHaveBeenCalledTimes(1));
    expect(await trainWithWgsl(model, data, config, {})).toEqual(failed);
    expect(engine.train).toHaveBeenCalledTimes(1);
  });

  it("stops with the progress callback's own error (a device told to stop), keeping the engine", async () => {
    const stop = new Error('round 3 was stopped');
    const options = {
      onProgress: () => {
        throw stop;
      },
    };
    await expect(trainWithWgsl(model, data, config, options)).rejects.toBe(stop);
    expect(await trainWithWgsl(model, data, config, {})).toEqual({ delta: trained.delta, numExamples: 25, loss: 0.5 });
    expect(engine.create).toHaveBeenCalledTimes(1);
    expect(engine.dispose).not.toHaveBeenCalled();
  });

  it("counts the resident engine's GPU buffers, and none once it is freed or has failed", async () => {
    expect(residentWgslMemory()).toEqual({ buffers: 0, bytes: 0 });
    await trainWithWgsl(model, data, config, {});
    expect(residentWgslMemory()).toEqual({ buffers: 20, bytes: 4096 });
    releaseResidentWgslTrainer();
    expect(residentWgslMemory()).toEqual({ buffers: 0, bytes: 0 });
    engine.train.mockRejectedValue(new Error('the device was lost'));
    await trainWithWgsl(model, data, config, {});
    expect(residentWgslMemory()).toEqual({ buffers: 0, bytes: 0 });
  });
});
