import * as tf from '@tensorflow/tfjs';
import { wgslSupport } from './wgsl/layerPlan.ts';

/** The loop that trains a round: Flock's WGSL engine, or the tfjs loop (trainEpochs). */
export type TrainingEngineName = 'wgsl' | 'tfjs';

export interface TrainingEngine {
  engine: TrainingEngineName;
  /** The tfjs backend active while training (the WGSL engine runs only beside `webgpu`). */
  backend: string;
  /** Why the tfjs loop trains and not Flock's WebGPU engine, in words for the person at the device; absent when the engine trains. */
  reason?: string;
}

export type EngineSupport = { ok: true } | { ok: false; reason: string };

export const ENGINE_NEEDS_WEBGPU = "Flock's WebGPU engine needs WebGPU";

/** Flock's WebGPU engine wherever tfjs runs on WebGPU and the engine has every layer of the model; else the tfjs loop, saying why. */
export function chooseTrainingEngine(backend: string, support: EngineSupport): TrainingEngine {
  if (backend !== 'webgpu') return { engine: 'tfjs', backend, reason: ENGINE_NEEDS_WEBGPU };
  if (!support.ok) return { engine: 'tfjs', backend, reason: support.reason };
  return { engine: 'wgsl', backend };
}

/** The engine that trains `model` on the tfjs backend active now. */
export function trainingEngineFor(model: tf.LayersModel): TrainingEngine {
  const backend = tf.getBackend();
  return chooseTrainingEngine(backend, backend === 'webgpu' ? wgslSupport(model) : { ok: true });
}
