import { FederationId, zodReason } from '@flock/fl-core';
import express from 'express';
import { z } from 'zod';
import { allow } from '../auth/guard.ts';
import type { ApiDeps } from './apiDeps.ts';

const DeviceBytesParams = z.object({ id: FederationId });
const DeviceBytesQuery = z.object({ rounds: z.coerce.number().int().min(1).max(1_000).default(20) }).strict();

/** `GET /api/federations/:id/device-bytes?rounds=N`: bytes up and down per device in the last N stored rounds (viewer). */
export function deviceBytesApi(deps: Pick<ApiDeps, 'federations' | 'store'>): express.Router {
  const api = express.Router();
  api.get('/federations/:id/device-bytes', allow('viewer'), async (req, res, next) => {
    // The console's paged answer (consoleApi, inside federationApi).
    if (req.query.paged !== undefined) return next();
    const query = DeviceBytesQuery.safeParse(req.query);
    if (!query.success) return void res.status(400).json({ ok: false, reason: `query: ${zodReason(query.error)}` });
    const params = DeviceBytesParams.safeParse(req.params);
    if (!params.success) return void res.status(400).json({ ok: false, reason: `federation id: ${zodReason(params.error)}` });
    const { id } = params.data;
    if (!deps.federations.has(id)) return void res.status(404).json({ ok: false, reason: `unknown federation "${id}"` });
    res.json(await deps.store.rounds.deviceBytes(id, query.data.rounds));
  });
  return api;
}
