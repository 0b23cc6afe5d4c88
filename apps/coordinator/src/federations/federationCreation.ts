import { describeDataset, federationConfigProblem, type ConfigContext, type FederationConfig } from '@flock/fl-core';
import { FederationRuntime, type RuntimeDeps } from './federationRuntime.ts';
import { prepareFederationModel, type PreparedModel, type UploadedModels } from './federationModel.ts';

export type CreationResult = { ok: true; runtime: FederationRuntime } | { ok: false; status: 400 | 409; reason: string };

export type VettedConfig = { ok: true; model: PreparedModel } | { ok: false; reason: string };

/**
 * Every check a parsed config must pass before it is stored, whether it is being created or edited:
 * federationConfigProblem before the model is built (an uploaded model is checked against the
 * dataset as it loads), then again with the model's size. Gives the initial model, built and encoded once.
 */
export async function vetConfig(
  config: FederationConfig,
  uploadedModels: UploadedModels,
  coordinators: ConfigContext['coordinators'] = 'one',
): Promise<VettedConfig> {
  const problem = federationConfigProblem(config, { coordinators });
  if (problem) return { ok: false, reason: problem };
  const prepared = await prepareFederationModel(config, uploadedModels);
  if (!prepared.ok) return { ok: false, reason: prepared.reason };
  const sized = federationConfigProblem(config, { parameterCount: prepared.value.weights.length });
  if (sized) return { ok: false, reason: sized };
  return { ok: true, model: prepared.value };
}

/** Stores a new federation with its initial model and starts its runtime (idle until started). */
export async function createFederation(config: FederationConfig, federations: Map<string, FederationRuntime>, deps: RuntimeDeps): Promise<CreationResult> {
  if (federations.has(config.id)) return { ok: false, status: 409, reason: `federation "${config.id}" already exists` };
  const vetted = await vetConfig(config, deps.store.uploadedModels, deps.cluster ? 'several' : 'one');
  if (!vetted.ok) return { ok: false, status: 400, reason: vetted.reason };
  await deps.store.federations.create(config, vetted.model.encoded);
  const runtime = FederationRuntime.fresh(config, vetted.model, [], deps);
  federations.set(config.id, runtime);
  runtime.record('info', 'federation-created', `federation created: ${config.model}, ${describeDataset(config.dataset)}`);
  deps.cluster?.bus.publish({ kind: 'federation-changed', federationId: config.id });
  return { ok: true, runtime };
}
