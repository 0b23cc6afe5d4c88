import type { FederationSummary, RoundRecord } from '@flock/fl-core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoordinatorProcess } from '../testing/coordinatorProcess.ts';
import { LightDevice, lightDeviceFederation } from '../testing/lightDevices.ts';
import { PostgresServer } from '../testing/postgresServer.ts';
import { RedisServer } from '../testing/redisServer.ts';
import { restOk } from '../testing/restCalls.ts';
import { until } from '../testing/testCoordinator.ts';

const TOKEN = 'restart-mid-round-admin-token';
const FEDERATION = lightDeviceFederation({
  id: 'restarted',
  name: 'A coordinator restarts mid-round',
  maxRounds: 1,
  minDevices: 2,
  deadlineMs: 120_000,
  modelSeed: 3,
});
const delta = (round: number, size: number) => new Float32Array(size).fill(round * 1e-3);

let postgres: PostgresServer;
let redis: RedisServer;
let db: pg.Client;
const coordinators: CoordinatorProcess[] = [];
const devices: LightDevice[] = [];

beforeAll(async () => {
  [postgres, redis] = await Promise.all([PostgresServer.launch(), RedisServer.launch()]);
  db = new pg.Client({ connectionString: postgres.url });
  await db.connect();
}, 120_000);

afterAll(async () => {
  for (const d of devices) d.close();
  await db?.end();
  await Promise.all(coordinators.map((c) => c.stop()));
  await redis?.stop();
  await postgres?.stop();
}, 60_000);

describe('a coordinator restarted while a round it does not run is open', () => {
  it('reads the open round from the database and takes its devices’ updates for it', async () => {
    const launch = (id: string) =>
      CoordinatorProcess.launch({ adminToken: TOKEN, env: { FLOCK_DATABASE_URL: postgres.url, FLOCK_REDIS_URL: redis.url, FLOCK_COORDINATOR_ID: id } });
    const owner = await launch('coordinator-owner');
    coordinators.push(owner);
    await restOk(owner.url, TOKEN, 'POST', '/api/federations', FEDERATION);
    const holder = async () =>
      (await db.query<{ holder: string }>('select holder from federation_leases where federation_id = $1 and expires_at > now()', [FEDERATION.id])).rows[0]
        ?.holder;
    await until(async () => ((await holder()) === 'coordinator-owner' ? true : undefined), 'the first coordinator to run the federation', 30_000);
    const other = await launch('coordinator-other');
    coordinators.push(other);
    await until(
      async () => (await restOk<FederationSummary>(other.url, TOKEN, 'GET', `/api/federations/${FEDERATION.id}`).catch(() => undefined)) && true,
      'the second coordinator to know the federation',
      30_000,
    );

    const join = (url: string, deviceId: string, answerAfterMs: number) =>
      LightDevice.join(url, { federationId: FEDERATION.id, deviceId, examples: 10, delta, answerAfterMs });
    devices.push(await join(owner.url, 'device-on-owner', 0), await join(other.url, 'device-on-other', 4_000));
    await restOk(owner.url, TOKEN, 'POST', `/api/federations/${FEDERATION.id}/start`);
    await until(
      async () => ((await restOk<FederationSummary>(owner.url, TOKEN, 'GET', `/api/federations/${FEDERATION.id}`)).status === 'training' ? true : undefined),
      'round 1 to open',
      30_000,
    );

    // Its device reconnects to it on the same address and is sent the open round again.
    await other.kill('SIGKILL');
    await other.start();
    const rounds = await until(
      async () => {
        const stored = await restOk<RoundRecord[]>(owner.url, TOKEN, 'GET', `/api/federations/${FEDERATION.id}/rounds`);
        return stored.length > 0 ? stored : undefined;
      },
      'round 1 to close',
      60_000,
    );
    expect(rounds.map((r) => [r.round, r.participants])).toEqual([[1, 2]]);
    expect(devices[1]!.refusals.filter((r) => r.startsWith('update'))).toEqual([]);
  }, 180_000);
});
