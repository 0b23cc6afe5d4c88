import pg from 'pg';
import { testFederationConfig } from '@flock/fl-core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../testing/coordinatorProcess.ts';
import { PostgresServer } from '../testing/postgresServer.ts';
import { postgresClient } from './postgres/postgresClient.ts';
import { openPostgresStore } from './postgres/postgresStore.ts';
import { migrate } from './sql/schema.ts';
import { SqlStore } from './sql/sqlStore.ts';
import { storeContract } from './storeContract.ts';

// One server and one pool for the whole file (starting a server takes a second or two); each test takes its own federation ids.
let server: PostgresServer;
let pool: pg.Pool;
beforeAll(async () => {
  server = await PostgresServer.launch();
  pool = new pg.Pool({ connectionString: server.url });
  await migrate(postgresClient(pool));
});
afterAll(async () => {
  await pool?.end();
  await server?.stop();
});

storeContract('postgres', async (options) => new SqlStore(postgresClient(pool), options));

describe('PostgreSQL', () => {
  it('prepares one new database for several coordinators starting at the same time, which then share it', async () => {
    const url = await server.createDatabase('racing');
    const stores = await Promise.all([1, 2, 3, 4].map(() => openPostgresStore(url)));
    const config = testFederationConfig({ id: 'shared', name: 'shared', dataset: { kind: 'mnist', partition: 'iid', examplesPerDevice: 50, seed: 1 } });
    await stores[0]!.federations.create(config, new Uint8Array([1]));
    expect((await stores[3]!.federations.list()).map((f) => f.config.id)).toEqual(['shared']);
    await Promise.all(stores.map((s) => s.close()));
  });

  it('gives 20 devices registering at once through two coordinators (two pools of two connections) 20 distinct indices', async () => {
    const pools = [1, 2].map(() => new pg.Pool({ connectionString: server.url, max: 2 }));
    const stores = pools.map((p) => new SqlStore(postgresClient(p)));
    try {
      await stores[0]!.federations.create(testFederationConfig({ id: 'registering', name: 'registering' }), new Uint8Array([1]));
      // Every fifth device brings its own data.
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          stores[i % 2]!.devices.register(
            'registering',
            { deviceId: `d${i}`, backend: 'cpu', adapter: null, lastSeen: new Date(), ownExamples: i % 5 === 0 ? 10 : null },
            20,
            () => 50,
          ),
        ),
      );
      const indices = results.map((r) => r!.device.shardIndex).sort((a, b) => a - b);
      expect(indices).toEqual([-4, -3, -2, -1, ...Array.from({ length: 16 }, (_, i) => i)]);
      expect((await stores[1]!.devices.list('registering')).map((d) => d.shardIndex)).toEqual(indices);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
      await Promise.all(pools.map((p) => p.end()));
    }
  });

  it('runs a transaction again when PostgreSQL aborted it to break a deadlock', async () => {
    const db = postgresClient(pool);
    await db.exec('create table deadlocked (id int primary key, v int not null); insert into deadlocked values (1, 0), (2, 0)');
    // Each first attempt takes its first row, waits until the other took its own, then asks for the other's.
    let bothHoldOne: () => void = () => undefined;
    const holding = new Promise<void>((resolve) => {
      let held = 0;
      bothHoldOne = () => void (++held === 2 && resolve());
    });
    let attempts = 0;
    const crossing = (first: number, second: number) =>
      db.transaction(async (tx) => {
        const firstAttempt = ++attempts <= 2;
        await tx.query('update deadlocked set v = v + 1 where id = $1', [first]);
        if (firstAttempt) {
          bothHoldOne();
          await holding;
        }
        await tx.query('update deadlocked set v = v + 1 where id = $1', [second]);
      });
    await Promise.all([crossing(1, 2), crossing(2, 1)]);
    expect(attempts).toBe(3);
    expect((await db.query<{ v: number }>('select v from deadlocked order by id')).rows.map((r) => r.v)).toEqual([2, 2]);
  });

  it('names the server and what to do when it cannot be reached, never the password', async () => {
    const port = await freePort();
    const failure = await openPostgresStore(`postgres://flock:not-to-be-shown@127.0.0.1:${port}/flock`).catch((err: Error) => err);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toMatch(new RegExp(`^PostgreSQL at 127\\.0\\.0\\.1:${port} could not be reached: start it, or set FLOCK_DATABASE_URL`));
    expect((failure as Error).message).not.toContain('not-to-be-shown');
  });

  it('names a database that does not exist and how to create it', async () => {
    await expect(openPostgresStore(server.urlOf('absent'))).rejects.toThrow(
      `PostgreSQL at 127.0.0.1:${server.port} has no database absent: create it (\`createdb absent\`) or name another in FLOCK_DATABASE_URL`,
    );
  });

  it('refuses a flockctl backup and points to pg_dump', async () => {
    const store = await openPostgresStore(server.url);
    await expect(store.backup()).rejects.toThrow(/^this coordinator keeps its data in PostgreSQL at 127\.0\.0\.1:\d+ .*back it up with pg_dump/);
    await store.close();
  });
});
