/// <reference types="@webgpu/types" />
import type * as tf from '@tensorflow/tfjs';
import type { ImageDataset } from '../data/dataset.ts';
import { WgslTrainer } from './wgsl/wgslTrainer.ts';

interface Resident {
  device: GPUDevice;
  model: tf.LayersModel;
  data: ImageDataset;
  /** Rejected once the engine could not start or failed on this model and shard: later rounds go straight to the tfjs loop. */
  trainer: Promise<WgslTrainer>;
}

let resident: Resident | null = null;

/**
 * The WGSL engine for `model` on `data`, made on first use and kept while the same model trains the
 * same dataset object on the same device (round after round): its buffers, pipelines and the
 * resident examples are made once. Another model, shard or device replaces it, so one engine is
 * resident at a time (as residentTensors keeps one dataset) and the GPU bytes stay flat across rounds.
 * Rejects, saying why in words for the device page, when the engine cannot start or has failed on them.
 */
export function residentWgslTrainer(device: GPUDevice, model: tf.LayersModel, data: ImageDataset): Promise<WgslTrainer> {
  if (resident?.device === device && resident.model === model && resident.data === data) return resident.trainer;
  releaseResidentWgslTrainer();
  const trainer = WgslTrainer.create(device, model, data).catch((err: unknown) => {
    throw new Error(`Flock's WebGPU engine could not start on this model and data (${err instanceof Error ? err.message : String(err)})`);
  });
  // Awaited by the caller; this keeps a failure that nobody awaits again from being reported as unhandled.
  trainer.catch(() => undefined);
  resident = { device, model, data, trainer };
  return trainer;
}

/** Frees the resident engine after it failed mid-way (its kernels may be invalid) and remembers why for its model and shard. */
export function retireResidentWgslTrainer(why: Error): void {
  if (!resident) return;
  disposeWhenMade(resident.trainer);
  const trainer = Promise.reject(why);
  trainer.catch(() => undefined);
  resident.trainer = trainer;
}

/** Frees the resident engine's GPU buffers (when its model is disposed, or before switching backend). */
export function releaseResidentWgslTrainer(): void {
  if (resident) disposeWhenMade(resident.trainer);
  resident = null;
}

function disposeWhenMade(trainer: Promise<WgslTrainer>): void {
  void trainer.then(
    (made) => made.dispose(),
    () => undefined,
  );
}
