import { DeviceId, EventLogEntry, FederationConfig, FederationId, PROTOCOL_VERSION } from '@flock/fl-core';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { tokenMatches } from '../adminToken.ts';
import type { CreationResult } from '../federations/federationCreation.ts';
import type { FederationRuntime } from '../federations/federationRuntime.ts';
import type { FederationStore } from '../storage/federationStore.ts';
import { zodReason } from '../transport/zodReason.ts';
import { deviceDataApi } from './deviceDataApi.ts';

export interface ApiDeps {
  federations: ReadonlyMap<string, FederationRuntime>;
  store: FederationStore;
  adminToken: string;
  version: string;
  createFederation(config: FederationConfig): Promise<CreationResult>;
}

const FederationParams = z.object({ id: FederationId });
const ShardParams = z.object({ id: FederationId, deviceId: DeviceId });
/** start/pause/resume/stop take no options yet; anything sent is refused rather than silently ignored. */
const EmptyBody = z.object({}).strict().optional();

type ActionResult = { ok: true } | { ok: false; reason: string };
/** Operator actions: each answers 409 with the runtime's reason when the federation's status does not allow it. */
const ACTIONS: Record<'start' | 'pause' | 'resume' | 'stop', (runtime: FederationRuntime) => ActionResult> = {
  start: (runtime) => runtime.start(),
  pause: (runtime) => runtime.pause(),
  resume: (runtime) => runtime.resume(),
  stop: (runtime) => runtime.stop(),
};

const DEFAULT_EVENTS = 500;
const MAX_EVENTS = 5_000;
const EventKind = z.string().regex(/^[a-z][a-z0-9-]*$/, 'an event kind is lowercase words joined by "-", e.g. round-closed');
/** `?kind=a,b` or `?kind=a&kind=b`, `?level=warn`, `?limit=N`; an unknown parameter is refused, not ignored. */
const EventsQuery = z
  .object({
    kind: z
      .union([z.string(), z.array(z.string())])
      .transform((v) => (Array.isArray(v) ? v : [v]).flatMap((k) => k.split(',')).map((k) => k.trim()).filter((k) => k !== ''))
      .pipe(z.array(EventKind))
      .optional(),
    level: EventLogEntry.shape.level.optional(),
    limit: z.coerce.number().int().min(1).max(MAX_EVENTS).default(DEFAULT_EVENTS),
  })
  .strict();

function refuse(res: Response, status: number, reason: string): void {
  res.status(status).json({ ok: false, reason });
}

/** REST under /api: public routes for devices and model consumers, the rest behind the admin token. */
export function federationApi(deps: ApiDeps): express.Router {
  const api = express.Router();
  api.use(express.json({ limit: '64kb' }));

  const requireAdmin: RequestHandler = (req, res, next) => {
    const header = req.get('authorization');
    if (!header?.startsWith('Bearer ')) return refuse(res, 401, 'admin token required: send "Authorization: Bearer <token>"');
    if (!tokenMatches(header.slice('Bearer '.length).trim(), deps.adminToken)) return refuse(res, 401, 'admin token is not valid');
    next();
  };

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

  api.get('/health', (_req, res) => {
    res.json({ ok: true, version: deps.version, protocolVersion: PROTOCOL_VERSION });
  });

  api.get('/federations/:id/shard/:deviceId', async (req, res) => {
    const params = ShardParams.safeParse(req.params);
    if (!params.success) return refuse(res, 400, zodReason(params.error));
    const runtime = federationOf(req, res);
    if (!runtime) return;
    const shard = await runtime.shardFor(params.data.deviceId);
    if (!shard) return refuse(res, 404, `device ${params.data.deviceId} has no shard to download (it must say hello first, and brings no data of its own)`);
    res.type('application/octet-stream').send(Buffer.from(shard.buffer, shard.byteOffset, shard.byteLength));
  });

  // tf.loadLayersModel('<origin>/api/federations/<id>/model') reads this and then model/weights.bin beside it.
  api.get('/federations/:id/model', (req, res) => {
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

  api.get('/federations/:id/model/weights.bin', (req, res) => {
    const runtime = federationOf(req, res);
    if (!runtime) return;
    const w = runtime.globalWeights;
    res.set('cache-control', 'no-store').type('application/octet-stream').send(Buffer.from(w.buffer, w.byteOffset, w.byteLength));
  });

  // One file to keep: the latest stored global model in Flock's weights format (manifest + float32
  // values, fl-core's decodeWeights reads it), exactly as saved with its round, so name and bytes agree.
  api.get('/federations/:id/model.flkw', async (req, res) => {
    const runtime = federationOf(req, res);
    if (!runtime) return;
    const stored = await deps.store.latestModel(runtime.config.id);
    if (!stored) return refuse(res, 404, `federation ${runtime.config.id} has no stored model`);
    const filename = `flock-${runtime.config.id}-${runtime.config.model}-round-${stored.round}.flkw`;
    res
      .set('cache-control', 'no-store')
      .set('x-flock-round', String(stored.round))
      .attachment(filename)
      .type('application/octet-stream')
      .send(Buffer.from(stored.bytes.buffer, stored.bytes.byteOffset, stored.bytes.byteLength));
  });

  api.get('/federations', requireAdmin, (_req, res) => {
    res.json([...deps.federations.values()].map((f) => f.summary()));
  });

  api.post('/federations', requireAdmin, async (req, res) => {
    const config = FederationConfig.safeParse(req.body);
    if (!config.success) return refuse(res, 400, `federation config: ${zodReason(config.error)}`);
    const created = await deps.createFederation(config.data);
    if (!created.ok) return refuse(res, created.status, created.reason);
    res.status(201).json(created.runtime.summary());
  });

  api.get('/federations/:id', requireAdmin, (req, res) => {
    const runtime = federationOf(req, res);
    if (runtime) res.json(runtime.summary());
  });

  for (const [action, run] of Object.entries(ACTIONS)) {
    api.post(`/federations/:id/${action}`, requireAdmin, (req, res) => {
      const body = EmptyBody.safeParse(req.body);
      if (!body.success) return refuse(res, 400, `body: ${zodReason(body.error)}`);
      const runtime = federationOf(req, res);
      if (!runtime) return;
      const result = run(runtime);
      if (!result.ok) return refuse(res, 409, result.reason);
      res.json(runtime.summary());
    });
  }

  api.get('/federations/:id/rounds', requireAdmin, (req, res) => {
    const runtime = federationOf(req, res);
    if (runtime) res.json(runtime.roundRecords());
  });

  api.get('/federations/:id/devices', requireAdmin, (req, res) => {
    const runtime = federationOf(req, res);
    if (runtime) res.json(runtime.deviceList());
  });

  /** The newest `limit` events that match, oldest first. */
  api.get('/federations/:id/events', requireAdmin, async (req, res) => {
    const query = EventsQuery.safeParse(req.query);
    if (!query.success) return refuse(res, 400, `query: ${zodReason(query.error)}`);
    const runtime = federationOf(req, res);
    if (!runtime) return;
    const { kind, level, limit } = query.data;
    res.json(await deps.store.listEvents(runtime.config.id, limit, { ...(kind ? { kinds: kind } : {}), ...(level ? { level } : {}) }));
  });

  api.use(deviceDataApi(federationOf));
  api.use((req, res) => refuse(res, 404, `no API route ${req.method} ${req.baseUrl}${req.path}`));
  api.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    const e = err as { type?: string; status?: number };
    if (e.type === 'entity.parse.failed') return refuse(res, 400, 'request body is not valid JSON');
    if (e.type === 'entity.too.large') return refuse(res, 413, 'request body is larger than 64 KiB');
    next(err);
  });
  return api;
}
