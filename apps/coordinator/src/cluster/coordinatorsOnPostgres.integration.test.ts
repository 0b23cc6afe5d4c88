import type { CoordinatorSummary, FederationSummary, MintedToken } from '@flock/fl-core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDataDirCommands } from '../cli/dataDirCommand.ts';
import { postgresClient } from '../storage/postgres/postgresClient.ts';
import { SqlLeases } from '../storage/sql/sqlLeases.ts';
import { CoordinatorProcess } from '../testing/coordinatorProcess.ts';
import { connectDevice, sayHello } from '../testing/deviceSockets.ts';
import { runInProcess } from '../testing/inProcessCommand.ts';
import { PostgresServer } from '../testing/postgresServer.ts';
import { restCall, restOk } from '../testing/restCalls.ts';
import { until } from '../testing/testCoordinator.ts';

/** Two coordinator processes on one PostgreSQL database, as an operator runs them behind a load balancer. */
const ADMIN = 'coordinators-on-postgres-admin';
let server: PostgresServer;
let pool: pg.Pool;
let a: CoordinatorProcess;
let b: CoordinatorProcess;

const launch = (id: string) => CoordinatorProcess.launch({ adminToken: ADMIN, env: { FLOCK_DATABASE_URL: server.url, FLOCK_COORDINATOR_ID: id } });
const listedBy = (coordinator: CoordinatorProcess, token = ADMIN) => restOk<CoordinatorSummary[]>(coordinator.url, token, 'GET', '/api/coordinators');

beforeAll(async () => {
  server = await PostgresServer.launch();
  [a, b] = await Promise.all([launch('coordinator-a'), launch('coordinator-b')]);
  pool = new pg.Pool({ connectionString: server.url });
}, 180_000);
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await pool?.end();
  await server?.stop();
});

describe('coordinators sharing one PostgreSQL database', () => {
  it('each list both, alive, with the federations each holds the lease of', async () => {
    // A lease as a coordinator takes one for a federation it runs.
    await new SqlLeases(postgresClient(pool)).acquire('leased-by-a', 'coordinator-a', 60_000);
    for (const asked of [a, b]) {
      const listed = await listedBy(asked);
      expect(listed.map((c) => c.id)).toEqual(['coordinator-a', 'coordinator-b']);
      expect(listed.every((c) => c.alive)).toBe(true);
      expect(listed.map((c) => c.url)).toEqual([a.url, b.url]);
      expect(listed[0]!.federations).toContain('leased-by-a');
      expect(listed[1]!.federations).not.toContain('leased-by-a');
    }
  });

  it('accept on one the viewer, session and enrollment tokens the other minted (one key, kept in the database), and refuse one the other revoked', async () => {
    const viewer = await restOk<MintedToken>(a.url, ADMIN, 'POST', '/api/tokens', { role: 'viewer', expiresIn: '1h' });
    expect((await restCall<FederationSummary[]>(b.url, viewer.token, 'GET', '/api/federations')).status).toBe(200);
    expect((await listedBy(b, viewer.token)).length).toBe(2);

    const session = await restOk<{ token: string }>(b.url, null, 'POST', '/api/auth/login', { token: ADMIN });
    expect((await restCall(a.url, session.token, 'GET', '/api/tokens')).status).toBe(200);

    // Revoked on one, refused by the other within a heartbeat.
    await restOk(a.url, ADMIN, 'DELETE', `/api/tokens/${viewer.id}`);
    await until(
      async () => ((await restCall(b.url, viewer.token, 'GET', '/api/federations')).status === 401 ? true : undefined),
      'the other coordinator to refuse the revoked token',
      5_000,
    );
    expect(await restCall(b.url, viewer.token, 'GET', '/api/coordinators')).toMatchObject({ status: 401, body: { reason: 'token has been revoked' } });

    const enrollment = await restOk<MintedToken>(b.url, ADMIN, 'POST', '/api/tokens', { role: 'device', federationId: 'demo', expiresIn: '1h' });
    const device = connectDevice(a.url, { auth: { token: enrollment.token } });
    try {
      expect(await sayHello(device, 'enrolled-on-b', 'demo')).toMatchObject({ ok: true });
    } finally {
      device.disconnect();
    }
  });

  it('refuses flockctl rotate-key while a coordinator runs on the database; once all stopped, rotates the key they share', async () => {
    const keyNow = async () => (await pool.query<{ key: Buffer }>('select key from signing_key')).rows[0]!.key.toString('hex');
    const before = await keyNow();
    await expect(runInProcess(addDataDirCommands, ['rotate-key', '--database-url', server.url])).rejects.toThrow(
      /^2 coordinators are still running on the database at 127\.0\.0\.1:\d+ \(coordinator-a at http:.*, coordinator-b at http:.*\): stop every coordinator on it first/,
    );
    expect(await keyNow()).toBe(before);

    // A clean stop says goodbye: the other no longer lists it.
    await a.stop();
    await until(async () => ((await listedBy(b)).length === 1 ? true : undefined), 'coordinator-a to leave the list', 10_000);
    await b.stop();
    const lines = await runInProcess(addDataDirCommands, ['rotate-key', '--database-url', server.url]);
    expect(lines[0]).toMatch(/^new signing key in the database at 127\.0\.0\.1:\d+\.$/);
    expect(await keyNow()).not.toBe(before);
  });
});
