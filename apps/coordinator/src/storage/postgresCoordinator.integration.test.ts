import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FederationSummary } from '@flock/fl-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCoordinator, type RunningCoordinator } from '../coordinator.ts';
import { PostgresServer } from '../testing/postgresServer.ts';
import { restCall, restOk } from '../testing/restCalls.ts';

const ADMIN = 'postgres-coordinator-test-admin';

let server: PostgresServer;
let dir: string;
beforeAll(async () => {
  [server, dir] = await Promise.all([PostgresServer.launch(), mkdtemp(join(tmpdir(), 'flock-on-postgres-'))]);
});
afterAll(async () => {
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const start = (dataDir: string): Promise<RunningCoordinator> =>
  startCoordinator({ port: 0, host: '127.0.0.1', dataDir: join(dir, dataDir), databaseUrl: server.url, adminToken: ADMIN, logLevel: 'silent' });

describe('a coordinator with FLOCK_DATABASE_URL', () => {
  it('keeps federations in PostgreSQL, not in its data dir, and refuses a flockctl backup pointing to pg_dump', async () => {
    const first = await start('first');
    const ids = async (coordinator: RunningCoordinator) =>
      (await restOk<FederationSummary[]>(coordinator.url, ADMIN, 'GET', '/api/federations')).map((f) => f.config.id);
    try {
      const [demo] = await restOk<FederationSummary[]>(first.url, ADMIN, 'GET', '/api/federations');
      await restOk(first.url, ADMIN, 'POST', '/api/federations', { ...demo!.config, id: 'kept', name: 'kept in PostgreSQL' });
      expect(await ids(first)).toEqual(['demo', 'kept']);
      const backup = await restCall<{ ok: boolean; reason: string }>(first.url, ADMIN, 'POST', '/api/admin/backup');
      expect(backup.status).toBe(409);
      expect(backup.body.reason).toMatch(/^this coordinator keeps its data in PostgreSQL at 127\.0\.0\.1:\d+ \(FLOCK_DATABASE_URL\).* pg_dump/);
    } finally {
      await first.close();
    }
    expect(existsSync(join(dir, 'first', 'pg'))).toBe(false);

    // Another data dir, the same database: the same federations.
    const second = await start('second');
    try {
      expect(await ids(second)).toEqual(['demo', 'kept']);
    } finally {
      await second.close();
    }
  }, 120_000);
});
