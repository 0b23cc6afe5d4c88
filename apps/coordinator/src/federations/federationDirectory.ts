import { FederationConfig, federationConfigProblem, fieldName, zodReason, type FederationSummary } from '@flock/fl-core';
import { z } from 'zod';
import type { FederationRepository } from '../storage/store.ts';
import { createFederation, vetConfig, type CreationResult } from './federationCreation.ts';
import { FederationRuntime, type RuntimeDeps } from './federationRuntime.ts';

export type CloneResult = CreationResult | { ok: false; status: 404; reason: string };
export type DirectoryResult = { ok: true; summary: FederationSummary } | { ok: false; status: 400 | 404 | 409; reason: string };

/** A clone's new identity; everything else is copied from its source. */
export const CloneRequest = z.object({ id: FederationConfig.shape.id, name: FederationConfig.shape.name.optional() }).strict();
export type CloneRequest = z.infer<typeof CloneRequest>;

const CONFIG_FIELDS = new Set(Object.keys(FederationConfig.shape));
/** An edit names top-level config fields; each replaces the current value whole (nested objects included). */
const ConfigPatch = z
  .record(z.string(), z.unknown())
  .refine((patch) => Object.keys(patch).length > 0, { message: 'name at least one config field to change' })
  .superRefine((patch, ctx) => {
    for (const key of Object.keys(patch)) {
      if (!CONFIG_FIELDS.has(key))
        ctx.addIssue({ code: 'custom', path: [key], message: `not a federation config field (fields: ${[...CONFIG_FIELDS].join(', ')})` });
    }
  });

/** Federations still running rounds; archiving them would hide live work. */
const RUNNING = new Set(['waiting', 'training', 'aggregating']);

/**
 * The operator's view over all federations: list (archived ones only on request), create, edit
 * before the first start, clone, archive. Runtimes live in `federations`, shared with the transports.
 */
export class FederationDirectory {
  private constructor(
    private readonly federations: Map<string, FederationRuntime>,
    private readonly catalog: FederationRepository,
    private readonly deps: () => RuntimeDeps,
    private readonly archived: Set<string>,
  ) {}

  static async open(federations: Map<string, FederationRuntime>, catalog: FederationRepository, deps: () => RuntimeDeps): Promise<FederationDirectory> {
    return new FederationDirectory(federations, catalog, deps, await catalog.archivedIds());
  }

  summaryOf(runtime: FederationRuntime): FederationSummary {
    const devices = runtime.deviceList();
    return {
      ...runtime.summary(),
      archived: this.archived.has(runtime.config.id),
      devices: { registered: devices.length, connected: devices.filter((d) => d.connected).length },
    };
  }

  list({ includeArchived }: { includeArchived: boolean }): FederationSummary[] {
    return [...this.federations.values()].filter((f) => includeArchived || !this.archived.has(f.config.id)).map((f) => this.summaryOf(f));
  }

  create(config: FederationConfig): Promise<CreationResult> {
    return createFederation(config, this.federations, this.deps());
  }

  /** Only an idle federation that never ran; the dataset only while no device holds a shard of it. */
  async edit(federationId: string, rawPatch: unknown): Promise<DirectoryResult> {
    const runtime = this.federations.get(federationId);
    if (!runtime) return { ok: false, status: 404, reason: `unknown federation "${federationId}"` };
    const patch = ConfigPatch.safeParse(rawPatch);
    if (!patch.success) return { ok: false, status: 400, reason: `federation config: ${zodReason(patch.error)}` };
    if ('id' in patch.data && patch.data.id !== federationId) {
      return { ok: false, status: 400, reason: 'federation config: id: an id cannot change; clone the federation to get one with a new id' };
    }
    const { status, round } = runtime.summary();
    if (status !== 'idle' || round > 0) {
      return {
        ok: false,
        status: 409,
        reason: `federation "${federationId}" has started (${status}, round ${round}): only a federation that never ran can be edited; clone it instead`,
      };
    }
    const edited = { ...runtime.config, ...patch.data };
    const problem = federationConfigProblem(edited);
    if (problem) return { ok: false, status: 400, reason: problem };
    const config = FederationConfig.parse(edited);
    const vetted = await vetConfig(config, this.deps().store.uploadedModels, this.deps().cluster ? 'several' : 'one');
    if (!vetted.ok) return { ok: false, status: 400, reason: vetted.reason };
    const joined = runtime.deviceList();
    if (joined.length > 0 && JSON.stringify(config.dataset) !== JSON.stringify(runtime.config.dataset)) {
      return {
        ok: false,
        status: 409,
        reason: `federation "${federationId}": the dataset cannot change once devices joined (${joined.length} hold data of it); clone the federation instead`,
      };
    }
    if (!(await this.catalog.replaceConfigIfUnstarted(config, vetted.model.encoded))) {
      return { ok: false, status: 409, reason: `federation "${federationId}" started while it was being edited` };
    }
    const deps = this.deps();
    const fresh = FederationRuntime.fresh(config, vetted.model, await deps.store.devices.list(federationId), deps);
    this.federations.set(federationId, fresh);
    // Devices stay connected through an edit: the new runtime counts them online.
    await fresh.continueFrom(runtime);
    this.deps().cluster?.bus.publish({ kind: 'federation-changed', federationId });
    fresh.record(
      'info',
      'federation-edited',
      `configuration edited: ${Object.keys(patch.data)
        .map((key) => fieldName([key]))
        .join(', ')}`,
    );
    return { ok: true, summary: this.summaryOf(fresh) };
  }

  /** Same configuration under a new id, from a fresh round-0 model; the source is untouched. */
  async clone(federationId: string, request: CloneRequest): Promise<CloneResult> {
    const source = this.federations.get(federationId);
    if (!source) return { ok: false, status: 404, reason: `unknown federation "${federationId}"` };
    const copy = { ...source.config, id: request.id, name: request.name ?? `${source.config.name} (copy)` };
    const problem = federationConfigProblem(copy);
    if (problem) return { ok: false, status: 400, reason: problem };
    const created = await this.create(FederationConfig.parse(copy));
    if (created.ok) created.runtime.record('info', 'federation-cloned', `cloned from federation "${federationId}"`);
    return created;
  }

  async archive(federationId: string, archived: boolean): Promise<DirectoryResult> {
    const runtime = this.federations.get(federationId);
    if (!runtime) return { ok: false, status: 404, reason: `unknown federation "${federationId}"` };
    const { status } = runtime.summary();
    if (archived && RUNNING.has(status)) {
      return { ok: false, status: 409, reason: `federation "${federationId}" is running (${status}): pause or stop it before archiving` };
    }
    await this.catalog.setArchived(federationId, archived);
    if (archived) this.archived.add(federationId);
    else this.archived.delete(federationId);
    runtime.record(
      'info',
      archived ? 'archived' : 'unarchived',
      archived ? 'federation archived: hidden from the default lists, data kept' : 'federation restored from the archive',
    );
    return { ok: true, summary: this.summaryOf(runtime) };
  }
}
