/// <reference types="@webgpu/types" />
import type * as tf from '@tensorflow/tfjs';
import type { ImageDataset } from '../data/dataset.ts';
import { WgslTrainer, type WgslMemory } from './wgsl/wgslTrainer.ts';

interface Resident {
  device: GPUDevice;
  model: tf.LayersModel;
  data: ImageDataset;
  /** Rejected once the engine could not start or failed on this model and shard: later rounds go straight to the tfjs loop. */
  trainer: Promise<WgslTrainer>;
  /** The engine once made, while it is resident and has not failed: what residentWgslMemory counts. */
  made: WgslTrainer | null;
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
  const entry: Resident = { device, model, data, trainer, made: null };
  resident = entry;
  // Registered before the caller's await, so the engine counts as soon as the caller has it; the
  // rejection handler keeps a failure that nobody awaits again from being reported as unhandled.
  void trainer.then(
    (made) => {
      if (entry.trainer === trainer) entry.made = made;
    },
    () => undefined,
  );
  return trainer;
}

/** Frees the resident engine after it failed mid-way (its kernels may be invalid) and remembers why for its model and shard. */
export function retireResidentWgslTrainer(why: Error): void {
  if (!resident) return;
  disposeWhenMade(resident.trainer);
  const trainer = Promise.reject(why);
  trainer.catch(() => undefined);
  resident.trainer = trainer;
  resident.made = null;
}

/**
 * The resident engine's GPU buffers and their bytes (none while no engine is resident): tfjs's
 * memory figures do not see them, so a device's GPU bytes add these.
 */
export function residentWgslMemory(): WgslMemory {
  return resident?.made?.gpuMemory() ?? { buffers: 0, bytes: 0 };
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
