import {
  buildModel,
  datasetShape,
  encodeWeights,
  isUploadedModel,
  loadUploadedModel,
  manifestOf,
  modelProblem,
  modelShapeProblem,
  readWeights,
  type FederationConfig,
  type TopologyLoader,
} from '@flock/fl-core';
import type * as tf from '@tensorflow/tfjs';
import type { StoredUploadedModel } from '../storage/store.ts';

/** The uploaded models a federation may name (the store's uploadedModels). */
export interface UploadedModels {
  get(id: string): Promise<StoredUploadedModel | null>;
}

export type FederationModelResult<T> = { ok: true; value: T } | { ok: false; reason: string };

/**
 * The federation's model with its round-0 weights: a zoo model sized by the dataset and seeded with
 * `modelSeed`, or an uploaded model with the weights it was uploaded with (so an operator can start
 * from a pre-trained model; `modelSeed` does not apply). The caller disposes it.
 */
export async function buildFederationModel(config: FederationConfig, uploads: UploadedModels): Promise<FederationModelResult<tf.LayersModel>> {
  const shape = datasetShape(config.dataset);
  if (!isUploadedModel(config.model)) {
    const problem = modelProblem(config.model, shape);
    return problem ? { ok: false, reason: problem } : { ok: true, value: buildModel(config.model, config.modelSeed, shape) };
  }
  const stored = await uploads.get(config.model);
  if (!stored) return { ok: false, reason: `model: there is no uploaded model "${config.model}" (GET /api/models lists them)` };
  const loaded = await loadUploadedModel({ modelJson: stored.modelJson, weightFiles: new Map([['weights.bin', stored.weights]]) });
  if (!loaded.ok) return { ok: false, reason: `model ${config.model}: ${loaded.reason}` };
  const problem = modelShapeProblem(loaded.model, shape);
  if (problem) {
    loaded.model.dispose();
    return { ok: false, reason: `model ${config.model} ("${stored.name}") does not fit the federation's dataset: ${problem}` };
  }
  return { ok: true, value: loaded.model };
}

/** The round-0 model of a federation, encoded (see buildFederationModel). */
export async function initialModel(config: FederationConfig, uploads: UploadedModels): Promise<FederationModelResult<Uint8Array>> {
  const built = await buildFederationModel(config, uploads);
  if (!built.ok) return built;
  try {
    return { ok: true, value: encodeWeights(manifestOf(built.value), await readWeights(built.value), 'weights') };
  } finally {
    built.value.dispose();
  }
}

/** Uploaded models' topologies as stored: how the coordinator's evaluator builds them. */
export function storedTopology(uploads: UploadedModels): TopologyLoader {
  return async (id) => {
    const stored = await uploads.get(id);
    if (!stored) throw new Error(`there is no uploaded model "${id}"`);
    return stored.modelJson.modelTopology;
  };
}
