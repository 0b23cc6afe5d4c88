import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresServer } from '../../testing/postgresServer.ts';
import { openPostgresStore, type PostgresStore } from './postgresStore.ts';

/** Far longer than a lease query takes on an idle server, far shorter than a lease (5 s). */
const PROMPTLY_MS = 2_000;

let server: PostgresServer;
let store: PostgresStore;
beforeAll(async () => {
  server = await PostgresServer.launch();
  store = await openPostgresStore(server.url);
});
afterAll(async () => {
  await store?.close();
  await server?.stop();
});

describe('leases on PostgreSQL', () => {
  it('are taken and renewed at once while every connection of the main pool waits behind other work', async () => {
    // Another session holds the federations table, so every read of it waits, each on a connection of the main pool (and more queue for one).
    const blocker = new pg.Client({ connectionString: server.url });
    await blocker.connect();
    await blocker.query('begin');
    await blocker.query('lock table federations in access exclusive mode');
    const waiting = Array.from({ length: 30 }, () => store.federations.list());
    await sleep(200);

    const promptly = <T>(work: Promise<T>) => Promise.race([work, sleep(PROMPTLY_MS).then(() => 'still waiting' as const)]);
    const lease = await promptly(store.leases.acquire('busy', 'coordinator-a', 5_000));
    expect(lease).toMatchObject({ federationId: 'busy', holder: 'coordinator-a', epoch: 1 });
    expect(await promptly(store.leases.renew('busy', 'coordinator-a', 1, 5_000))).toBe(true);
    expect(await promptly(store.leases.list())).toHaveLength(1);

    await blocker.query('commit');
    await blocker.end();
    expect(await Promise.all(waiting)).toHaveLength(30);
  });
});
