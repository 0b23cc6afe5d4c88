import { datasetShape, demoDataset, describeDataset, isUploadedModel, modelProblem, strategyProblem, type FederationConfig } from '@flock/fl-core';
import { datasetProblem } from './datasetPartition.ts';
import { FederationRuntime, type RuntimeDeps } from './federationRuntime.ts';
import { prepareFederationModel, type PreparedModel, type UploadedModels } from './federationModel.ts';

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

export type VettedConfig = { ok: true; model: PreparedModel } | { ok: false; reason: string };

/**
 * Every check a parsed config must pass before it is stored, whether it is being created or edited:
 * the dataset and model (configProblem), then the strategy against the model's size. Gives the
 * initial model, built and encoded once.
 */
export async function vetConfig(config: FederationConfig, uploadedModels: UploadedModels): Promise<VettedConfig> {
  const problem = configProblem(config);
  if (problem) return { ok: false, reason: problem };
  const prepared = await prepareFederationModel(config, uploadedModels);
  if (!prepared.ok) return { ok: false, reason: prepared.reason };
  const strategy = strategyProblem(config, prepared.value.weights.length);
  if (strategy) return { ok: false, reason: `strategy: ${strategy}` };
  return { ok: true, model: prepared.value };
}

/** Stores a new federation with its initial model and starts its runtime (idle until started). */
export async function createFederation(config: FederationConfig, federations: Map<string, FederationRuntime>, deps: RuntimeDeps): Promise<CreationResult> {
  if (federations.has(config.id)) return { ok: false, status: 409, reason: `federation "${config.id}" already exists` };
  const vetted = await vetConfig(config, deps.store.uploadedModels);
  if (!vetted.ok) return { ok: false, status: 400, reason: vetted.reason };
  await deps.store.federations.create(config, vetted.model.encoded);
  const runtime = FederationRuntime.fresh(config, vetted.model, [], deps);
  federations.set(config.id, runtime);
  runtime.record('info', 'federation-created', `federation created: ${config.model}, ${describeDataset(config.dataset)}`);
  return { ok: true, runtime };
}
