import { DeviceId, EventLogEntry, FederationConfig, federationConfigProblem, FederationId, joinPolicyOf, PROTOCOL_VERSION, zodReason } from '@flock/fl-core';
import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import { allow, allowMembers } from '../auth/guard.ts';
import { CloneRequest } from '../federations/federationDirectory.ts';
import type { FederationRuntime } from '../federations/federationRuntime.ts';
import type { ApiDeps } from './apiDeps.ts';
import { consoleApi, EventKinds } from './consoleApi.ts';
import { deviceDataApi } from './deviceDataApi.ts';
import { EmptyBody } from './emptyBody.ts';
import { roundsCsv } from './roundsExport.ts';

const FederationParams = z.object({ id: FederationId });
const ShardParams = z.object({ id: FederationId, deviceId: DeviceId });

type ActionResult = { ok: true } | { ok: false; reason: string };
/** Operator actions: each answers 409 with the runtime's reason when the federation's status does not allow it. */
const ACTIONS: Record<'start' | 'pause' | 'resume' | 'stop', (runtime: FederationRuntime) => ActionResult> = {
  start: (runtime) => runtime.start(),
  pause: (runtime) => runtime.pause(),
  resume: (runtime) => runtime.resume(),
  stop: (runtime) => runtime.stop(),
};

/** `?archived=true` lists archived federations too (flagged `archived`). */
const ListQuery = z.object({ archived: z.enum(['true', 'false']).default('false') }).strict();
/** `?format=json` (the default) or `csv`; either way every field of every round. */
const RoundsQuery = z.object({ format: z.enum(['json', 'csv']).default('json') }).strict();

const DEFAULT_EVENTS = 500;
const MAX_EVENTS = 5_000;
/** `?kind=a,b` or `?kind=a&kind=b`, `?level=warn`, `?limit=N`; an unknown parameter is refused, not ignored. */
const EventsQuery = z
  .object({
    kind: EventKinds.optional(),
    level: EventLogEntry.shape.level.optional(),
    limit: z.coerce.number().int().min(1).max(MAX_EVENTS).default(DEFAULT_EVENTS),
  })
  .strict();

function refuse(res: Response, status: number, reason: string): void {
  res.status(status).json({ ok: false, reason });
}

/**
 * REST under /api. Each route names the role it needs with its first handler, `allow(...)` (auth/guard.ts):
 * the global model is public for an open-join federation and its members' for an enrollment-only one
 * (`allowMembers`), a shard is its device's own, reads need a viewer and acts an admin.
 */
export function federationApi(deps: ApiDeps): express.Router {
  const api = express.Router();
  api.use(express.json({ limit: '64kb' }));

  /** The federation named in the path, or a 400/404 already sent. */
  function federationOf(req: Request, res: Response): FederationRuntime | null {
    const params = FederationParams.safeParse({ id: req.params.id });
    if (!params.success) {
      refuse(res, 400, `federation id: ${zodReason(params.error)}`);
      return null;
    }
    const runtime = deps.federations.get(params.data.id);
    if (!runtime) refuse(res, 404, `unknown federation "${params.data.id}"`);
    return runtime ?? null;
  }

  const members = allowMembers((id) => {
    const runtime = deps.federations.get(id);
    return runtime && joinPolicyOf(runtime.config);
  });

  api.use(consoleApi(deps, federationOf));

  api.get('/health', allow('public'), (_req, res) => {
    res.json({ ok: true, version: deps.version, protocolVersion: PROTOCOL_VERSION });
  });

  api.get('/federations/:id/shard/:deviceId', allow('device', { federationParam: 'id', deviceParam: 'deviceId' }), async (req, res) => {
    const params = ShardParams.safeParse(req.params);
    if (!params.success) return refuse(res, 400, zodReason(params.error));
    const runtime = federationOf(req, res);
    if (!runtime) return;
    const shard = await runtime.shardFor(params.data.deviceId);
    if (!shard) return refuse(res, 404, `device ${params.data.deviceId} has no shard to download (it must say hello first, and brings no data of its own)`);
    res.type('application/octet-stream').send(Buffer.from(shard.buffer, shard.byteOffset, shard.byteLength));
  });

  // tf.loadLayersModel('<origin>/api/federations/<id>/model') reads this and then model/weights.bin beside it.
  api.get('/federations/:id/model', members, (req, res) => {
    const runtime = federationOf(req, res);
    if (!runtime) return;
    res.set('cache-control', 'no-store').json({
      format: 'layers-model',
      generatedBy: 'flock-coordinator',
      convertedBy: null,
      modelTopology: runtime.modelTopology,
      weightsManifest: [{ paths: ['model/weights.bin'], weights: runtime.manifest.map(({ name, shape, dtype }) => ({ name, shape, dtype })) }],
    });
  });

  api.get('/federations/:id/model/weights.bin', members, (req, res) => {
    const runtime = federationOf(req, res);
    if (!runtime) return;
    const w = runtime.globalWeights;
    res
      .set('cache-control', 'no-store')
      .type('application/octet-stream')
      .send(Buffer.from(w.buffer, w.byteOffset, w.byteLength));
  });

  // One file to keep: the latest stored global model in Flock's weights format (manifest + float32
  // values, fl-core's decodeWeights reads it), exactly as saved with its round, so name and bytes agree.
  api.get('/federations/:id/model.flkw', members, async (req, res) => {
    const runtime = federationOf(req, res);
    if (!runtime) return;
    const stored = await deps.store.models.latest(runtime.config.id);
    if (!stored) return refuse(res, 404, `federation ${runtime.config.id} has no stored model`);
    const filename = `flock-${runtime.config.id}-${runtime.config.model}-round-${stored.round}.flkw`;
    res
      .set('cache-control', 'no-store')
      .set('x-flock-round', String(stored.round))
      .attachment(filename)
      .type('application/octet-stream')
      .send(Buffer.from(stored.bytes.buffer, stored.bytes.byteOffset, stored.bytes.byteLength));
  });

  api.get('/federations', allow('viewer'), (req, res) => {
    const query = ListQuery.safeParse(req.query);
    if (!query.success) return refuse(res, 400, `query: ${zodReason(query.error)}`);
    res.json(deps.directory.list({ includeArchived: query.data.archived === 'true' }));
  });

  api.post('/federations', allow('admin'), async (req, res) => {
    const problem = federationConfigProblem(req.body);
    if (problem) return refuse(res, 400, problem);
    const created = await deps.directory.create(FederationConfig.parse(req.body));
    if (!created.ok) return refuse(res, created.status, created.reason);
    res.status(201).json(deps.directory.summaryOf(created.runtime));
  });

  api.get('/federations/:id', allow('viewer'), (req, res) => {
    const runtime = federationOf(req, res);
    if (runtime) res.json(deps.directory.summaryOf(runtime));
  });

  // Before the first start only; the named top-level fields replace the current ones.
  api.patch('/federations/:id', allow('admin'), async (req, res) => {
    const runtime = federationOf(req, res);
    if (!runtime) return;
    const edited = await deps.directory.edit(runtime.config.id, req.body);
    if (!edited.ok) return refuse(res, edited.status, edited.reason);
    res.json(edited.summary);
  });

  api.post('/federations/:id/clone', allow('admin'), async (req, res) => {
    const body = CloneRequest.safeParse(req.body ?? {});
    if (!body.success) return refuse(res, 400, `clone: ${zodReason(body.error)}`);
    const runtime = federationOf(req, res);
    if (!runtime) return;
    const cloned = await deps.directory.clone(runtime.config.id, body.data);
    if (!cloned.ok) return refuse(res, cloned.status, cloned.reason);
    res.status(201).json(deps.directory.summaryOf(cloned.runtime));
  });

  for (const [action, archived] of [
    ['archive', true],
    ['unarchive', false],
  ] as const) {
    api.post(`/federations/:id/${action}`, allow('admin'), async (req, res) => {
      const body = EmptyBody.safeParse(req.body);
      if (!body.success) return refuse(res, 400, `body: ${zodReason(body.error)}`);
      const runtime = federationOf(req, res);
      if (!runtime) return;
      const result = await deps.directory.archive(runtime.config.id, archived);
      if (!result.ok) return refuse(res, result.status, result.reason);
      res.json(result.summary);
    });
  }

  for (const [action, run] of Object.entries(ACTIONS)) {
    api.post(`/federations/:id/${action}`, allow('admin'), (req, res) => {
      const body = EmptyBody.safeParse(req.body);
      if (!body.success) return refuse(res, 400, `body: ${zodReason(body.error)}`);
      const runtime = federationOf(req, res);
      if (!runtime) return;
      const result = run(runtime);
      if (!result.ok) return refuse(res, 409, result.reason);
      res.json(deps.directory.summaryOf(runtime));
    });
  }

  api.get('/federations/:id/rounds', allow('viewer'), (req, res) => {
    const query = RoundsQuery.safeParse(req.query);
    if (!query.success) return refuse(res, 400, `query: ${zodReason(query.error)}`);
    const runtime = federationOf(req, res);
    if (!runtime) return;
    if (query.data.format === 'json') return res.json(runtime.roundRecords());
    res.attachment(`flock-${runtime.config.id}-rounds.csv`).type('text/csv').send(roundsCsv(runtime.roundRecords()));
  });

  api.get('/federations/:id/devices', allow('viewer'), (req, res) => {
    const runtime = federationOf(req, res);
    if (runtime) res.json(runtime.deviceList());
  });

  /** The newest `limit` events that match, oldest first. */
  api.get('/federations/:id/events', allow('viewer'), async (req, res) => {
    const query = EventsQuery.safeParse(req.query);
    if (!query.success) return refuse(res, 400, `query: ${zodReason(query.error)}`);
    const runtime = federationOf(req, res);
    if (!runtime) return;
    const { kind, level, limit } = query.data;
    res.json(await deps.store.events.recent(runtime.config.id, limit, { ...(kind ? { kinds: kind } : {}), ...(level ? { level } : {}) }));
  });

  api.use(deviceDataApi(federationOf));
  api.use((req, res) => refuse(res, 404, `no API route ${req.method} ${req.baseUrl}${req.path}`));
  return api;
}
