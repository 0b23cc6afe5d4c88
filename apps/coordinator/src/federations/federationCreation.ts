import {
  datasetShape,
  decodeWeights,
  demoDataset,
  describeDataset,
  isUploadedModel,
  modelProblem,
  strategyProblem,
  type FederationConfig,
} from '@flock/fl-core';
import { datasetProblem } from './datasetPartition.ts';
import { FederationRuntime, type RuntimeDeps } from './federationRuntime.ts';
import { initialModel, type UploadedModels } from './federationModel.ts';

export type CreationResult = { ok: true; runtime: FederationRuntime } | { ok: false; status: 400 | 409; reason: string };

/**
 * What a config asks that the schema alone cannot check; null when it is consistent. An uploaded
 * model is checked against the dataset when it is loaded (initialModel).
 */
export function configProblem(config: FederationConfig): string | null {
  const demo = demoDataset(config.dataset);
  const dataset = demo ? datasetProblem(demo) : null;
  if (dataset) return `dataset: ${dataset}`;
  if (!demo && config.targetAccuracy !== undefined) {
    return "targetAccuracy needs the coordinator's own test data: a federation on device data runs its maxRounds (its devices report federated evaluation)";
  }
  return isUploadedModel(config.model) ? null : modelProblem(config.model, datasetShape(config.dataset));
}

export type VettedConfig = { ok: true; weights: Uint8Array } | { ok: false; reason: string };

/**
 * Every check a parsed config must pass before it is stored, whether it is being created or edited:
 * the dataset and model (configProblem), then the strategy against the model's size. Gives the
 * initial model's weights, built once.
 */
export async function vetConfig(config: FederationConfig, uploadedModels: UploadedModels): Promise<VettedConfig> {
  const problem = configProblem(config);
  if (problem) return { ok: false, reason: problem };
  const initial = await initialModel(config, uploadedModels);
  if (!initial.ok) return { ok: false, reason: initial.reason };
  const strategy = strategyProblem(config, decodeWeights(initial.value).values.length);
  if (strategy) return { ok: false, reason: `strategy: ${strategy}` };
  return { ok: true, weights: initial.value };
}

/** Stores a new federation with its initial model and starts its runtime (idle until started). */
export async function createFederation(config: FederationConfig, federations: Map<string, FederationRuntime>, deps: RuntimeDeps): Promise<CreationResult> {
  if (federations.has(config.id)) return { ok: false, status: 409, reason: `federation "${config.id}" already exists` };
  const vetted = await vetConfig(config, deps.store.uploadedModels);
  if (!vetted.ok) return { ok: false, status: 400, reason: vetted.reason };
  await deps.store.federations.create(config, vetted.weights);
  const runtime = await FederationRuntime.load({ config, status: 'idle', round: 0 }, deps);
  federations.set(config.id, runtime);
  runtime.record('info', 'federation-created', `federation created: ${config.model}, ${describeDataset(config.dataset)}`);
  return { ok: true, runtime };
}
