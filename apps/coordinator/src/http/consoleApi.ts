import {
  DeviceBytesPageQuery,
  devicePlatformWords,
  DevicesPageQuery,
  EventLogEntry,
  issueText,
  PageQuery,
  RoundSeriesQuery,
  RoundsPageQuery,
  type DeviceInfo,
  type DeviceRoundBytes,
  type RoundRecord,
} from '@flock/fl-core';
import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import { allow } from '../auth/guard.ts';
import type { FederationRuntime } from '../federations/federationRuntime.ts';
import type { ApiDeps } from './apiDeps.ts';
import { pageOf, type PageResult } from './paging.ts';
import { roundSeries } from './roundSeries.ts';

const EventKind = z.string().regex(/^[a-z][a-z0-9-]*$/, 'an event kind is lowercase words joined by "-", e.g. round-closed');
/** `?kind=a,b` or `?kind=a&kind=b`. */
export const EventKinds = z
  .union([z.string(), z.array(z.string())])
  .transform((v) =>
    (Array.isArray(v) ? v : [v])
      .flatMap((k) => k.split(','))
      .map((k) => k.trim())
      .filter((k) => k !== ''),
  )
  .pipe(z.array(EventKind));
const EventsPageQuery = PageQuery.extend({ kind: EventKinds.optional(), level: EventLogEntry.shape.level.optional() }).strict();

/** A refused query in words: each problem as a sentence, no schema jargon. */
export function queryReason(error: z.ZodError): string {
  return `This request was refused: ${error.issues.map((issue) => issueText(issue)).join(' ')}`;
}

/**
 * The console's paged reads (viewer): with `paged=true`, /devices, /rounds, /events and /device-bytes
 * answer one Page sorted and filtered here; without it the request goes on to the routes' full answers
 * (federationApi, deviceBytesApi). Plus /round-series for the charts.
 */
export function consoleApi(
  deps: Pick<ApiDeps, 'federations' | 'store'>,
  federationOf: (req: Request, res: Response) => FederationRuntime | null,
): express.Router {
  const api = express.Router();
  const paged = (req: Request) => req.query.paged !== undefined;

  function answer<T>(res: Response, result: PageResult<T>): void {
    if (result.ok) res.json(result.page);
    else res.status(400).json({ ok: false, reason: `This request was refused: ${result.reason}.` });
  }

  /** The parsed query, or a 400 already sent. */
  function queryOf<S extends z.ZodType>(schema: S, req: Request, res: Response): z.infer<S> | null {
    const query = schema.safeParse(req.query);
    if (query.success) return query.data;
    res.status(400).json({ ok: false, reason: queryReason(query.error) });
    return null;
  }

  api.get('/federations/:id/devices', allow('viewer'), (req, res, next) => {
    if (!paged(req)) return next();
    const query = queryOf(DevicesPageQuery, req, res);
    const runtime = query && federationOf(req, res);
    if (!query || !runtime) return;
    const rows = runtime
      .deviceList()
      .filter((d) => (query.state === undefined || d.state === query.state) && (query.connected === undefined || String(d.connected) === query.connected));
    answer(
      res,
      pageOf<DeviceInfo, (typeof query.sort)['field']>(rows, query, {
        key: (d) => d.deviceId,
        value: (d, field) => DEVICE_SORT[field](d),
        text: (d) => `${d.deviceId} ${d.state} ${devicePlatformWords(d.platform, d.backend)} ${d.backend ?? ''} ${d.connected ? 'online' : 'offline'}`,
      }),
    );
  });

  api.get('/federations/:id/rounds', allow('viewer'), (req, res, next) => {
    if (!paged(req)) return next();
    const query = queryOf(RoundsPageQuery, req, res);
    const runtime = query && federationOf(req, res);
    if (!query || !runtime) return;
    const rows = runtime.roundRecords().filter((r) => query.closedBy === undefined || r.closedBy === query.closedBy);
    answer(
      res,
      pageOf<RoundRecord, (typeof query.sort)['field']>(rows, query, {
        key: (r) => String(r.round).padStart(10, '0'),
        value: (r, field) => r[field],
        text: (r) => `round ${r.round} ${r.closedBy ?? ''} ${r.extended ? 'extended' : ''}`,
      }),
    );
  });

  api.get('/federations/:id/device-bytes', allow('viewer'), async (req, res, next) => {
    if (!paged(req)) return next();
    const query = queryOf(DeviceBytesPageQuery, req, res);
    const runtime = query && federationOf(req, res);
    if (!query || !runtime) return;
    const rows = await deps.store.rounds.contributionBytes(runtime.config.id, query.round);
    answer(
      res,
      pageOf<DeviceRoundBytes, (typeof query.sort)['field']>(rows, query, {
        key: (b) => `${String(b.round).padStart(10, '0')} ${b.deviceId}`,
        value: (b, field) => b[field],
        text: (b) => `${b.deviceId} round ${b.round}`,
      }),
    );
  });

  /** Newest first; the cursor is the id of the last event shown, so events arriving meanwhile do not shift the pages. */
  api.get('/federations/:id/events', allow('viewer'), async (req, res, next) => {
    if (!paged(req)) return next();
    const query = queryOf(EventsPageQuery, req, res);
    const runtime = query && federationOf(req, res);
    if (!query || !runtime) return;
    const signature = JSON.stringify([query.kind ?? [], query.level ?? '', (query.filter ?? '').trim().toLowerCase()]);
    const beforeId = query.cursor === undefined ? null : eventCursor(query.cursor, signature);
    if (beforeId === undefined) {
      return void res.status(400).json({
        ok: false,
        reason:
          'This request was refused: the cursor belongs to other filters or is not one this coordinator gave; start again from the first page (leave out cursor).',
      });
    }
    const page = await deps.store.events.page(runtime.config.id, {
      limit: query.limit + 1,
      beforeId,
      ...(query.kind ? { kinds: query.kind } : {}),
      ...(query.level ? { level: query.level } : {}),
      ...(query.filter?.trim() ? { text: query.filter.trim() } : {}),
    });
    const items = page.items.slice(0, query.limit);
    const last = items[items.length - 1];
    res.json({
      items: items.map(({ id: _id, ...event }) => event),
      total: page.total,
      nextCursor: page.items.length > query.limit && last ? Buffer.from(JSON.stringify([signature, last.id])).toString('base64url') : null,
    });
  });

  api.get('/federations/:id/round-series', allow('viewer'), (req, res) => {
    const query = queryOf(RoundSeriesQuery, req, res);
    const runtime = query && federationOf(req, res);
    if (!query || !runtime) return;
    res.json(roundSeries(runtime.roundRecords(), query.maxPoints));
  });

  return api;
}

const DEVICE_SORT: Record<(typeof DevicesPageQuery)['_output']['sort']['field'], (d: DeviceInfo) => string | number> = {
  id: (d) => d.deviceId,
  lastSeen: (d) => d.lastSeen,
  examples: (d) => d.examples,
  rounds: (d) => d.roundsContributed,
  state: (d) => d.state,
};

/** The event id a cursor points after, null for none, undefined when the cursor is not for these filters. */
function eventCursor(cursor: string, signature: string): number | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString());
    if (Array.isArray(parsed) && parsed[0] === signature && Number.isSafeInteger(parsed[1])) return parsed[1] as number;
  } catch {
    // not JSON: not ours
  }
  return undefined;
}
