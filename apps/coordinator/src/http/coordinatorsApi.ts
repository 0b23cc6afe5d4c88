import type { CoordinatorSummary } from '@flock/fl-core';
import express from 'express';
import { z } from 'zod';
import { allow } from '../auth/guard.ts';
import { COORDINATOR_SILENCE_MS } from '../cluster/coordinatorHeartbeat.ts';
import type { CoordinatorStore } from '../storage/store.ts';
import { queryReason } from './consoleApi.ts';

export interface CoordinatorsApiDeps {
  store: Pick<CoordinatorStore, 'coordinators' | 'leases'>;
  /**
   * Null where coordinators share the store: each federation runs on its lease's holder. Else this
   * coordinator runs alone, and every federation it loaded is its own: their ids.
   */
  federationsRunAlone: (() => string[]) | null;
}

const NoQuery = z.object({}).strict();

/**
 * `GET /api/coordinators` (viewer): every coordinator sharing this one's database, whether it is
 * still heard from, its connected devices and the federations whose rounds it runs.
 */
export function coordinatorsApi(deps: CoordinatorsApiDeps): express.Router {
  const api = express.Router();
  api.get('/coordinators', allow('viewer'), async (req, res) => {
    const query = NoQuery.safeParse(req.query);
    if (!query.success) return void res.status(400).json({ ok: false, reason: queryReason(query.error) });
    const [coordinators, leases] = await Promise.all([deps.store.coordinators.list(COORDINATOR_SILENCE_MS), deps.store.leases.list()]);
    const now = Date.now();
    const runs = (id: string): string[] =>
      deps.federationsRunAlone?.() ?? leases.filter((l) => l.holder === id && l.expiresAt.getTime() > now).map((l) => l.federationId);
    res.json(
      coordinators.map((c): CoordinatorSummary => ({
        id: c.id,
        url: c.url,
        startedAt: c.startedAt.toISOString(),
        lastSeen: c.lastSeen.toISOString(),
        silentMs: Math.max(0, now - c.lastSeen.getTime()),
        alive: c.alive,
        devices: c.devices,
        federations: runs(c.id),
      })),
    );
  });
  return api;
}
