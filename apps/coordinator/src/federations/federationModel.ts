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
  type WeightsManifest,
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
async function buildFederationModel(config: FederationConfig, uploads: UploadedModels): Promise<FederationModelResult<tf.LayersModel>> {
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

/** What the coordinator keeps of a federation's model once it is built: the weights' layout and the tfjs topology. */
export interface ModelLayout {
  manifest: WeightsManifest;
  /** tfjs LayersModel topology, served with the weights so tf.loadLayersModel can fetch the global model. */
  topology: unknown;
}

/** A new federation's model, built once: its layout, its round-0 weights, and those weights encoded for the store. */
export interface PreparedModel extends ModelLayout {
  weights: Float32Array;
  encoded: Uint8Array;
}

/** Builds the federation's model (see buildFederationModel), reads what `use` needs, and disposes it. */
async function withFederationModel<T>(
  config: FederationConfig,
  uploads: UploadedModels,
  use: (model: tf.LayersModel) => Promise<T>,
): Promise<FederationModelResult<T>> {
  const built = await buildFederationModel(config, uploads);
  if (!built.ok) return built;
  try {
    return { ok: true, value: await use(built.value) };
  } finally {
    built.value.dispose();
  }
}

/** The layout of a stored federation's model, whose weights come from the store. */
export function federationModelLayout(config: FederationConfig, uploads: UploadedModels): Promise<FederationModelResult<ModelLayout>> {
  return withFederationModel(config, uploads, async (model) => ({ manifest: manifestOf(model), topology: model.toJSON(null, false) }));
}

/** A new or edited federation's round-0 model: what is stored and what its runtime starts from, from one build. */
export function prepareFederationModel(config: FederationConfig, uploads: UploadedModels): Promise<FederationModelResult<PreparedModel>> {
  return withFederationModel(config, uploads, async (model) => {
    const manifest = manifestOf(model);
    const weights = await readWeights(model);
    return { manifest, topology: model.toJSON(null, false), weights, encoded: encodeWeights(manifest, weights, 'weights') };
  });
}

/** Uploaded models' topologies as stored: how the coordinator's evaluator builds them. */
export function storedTopology(uploads: UploadedModels): TopologyLoader {
  return async (id) => {
    const stored = await uploads.get(id);
    if (!stored) throw new Error(`there is no uploaded model "${id}"`);
    return stored.modelJson.modelTopology;
  };
}
