import { createFederationStrategy, decodeWeights, secureRandom, type EventLogEntry, type FederationSummary, type RoundRecord } from '@flock/fl-core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoordinatorProcess } from '../testing/coordinatorProcess.ts';
import { HaproxyServer } from '../testing/haproxyServer.ts';
import { LightDevice, lightDeviceFederation } from '../testing/lightDevices.ts';
import { PostgresServer } from '../testing/postgresServer.ts';
import { RedisServer } from '../testing/redisServer.ts';
import { restCall, restOk } from '../testing/restCalls.ts';

const TOKEN = 'several-coordinators-admin-token';
const DEVICES = 30;
const ROUNDS = 8;
const FEDERATION = lightDeviceFederation({
  id: 'shared',
  name: 'Shared by three coordinators',
  maxRounds: ROUNDS,
  minDevices: DEVICES,
  deadlineMs: 120_000,
  modelSeed: 7,
});

/** Device `i`'s update for a round: its own, whichever coordinator takes it and however often it is sent. */
const deltaOf = (i: number) => (round: number, size: number) => Float32Array.from({ length: size }, (_, j) => Math.sin(i * 13 + j + round * 7) * 1e-3);
const examplesOf = (i: number) => 10 + i;

let postgres: PostgresServer;
let redis: RedisServer;
let balancer: HaproxyServer;
const coordinators: CoordinatorProcess[] = [];
const devices: LightDevice[] = [];
let db: pg.Client;

const api = <T>(method: string, path: string, body?: unknown) => restOk<T>(balancer.url, TOKEN, method, path, body);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => null);
    if (value) return value;
    if (Date.now() > end) throw new Error(`${what}: not within ${ms / 1000} s`);
    await sleep(200);
  }
}

/** The latest stored model, from whichever coordinator the balancer picks (each reads it from the database once it knows the federation). */
async function storedModel(): Promise<Float32Array> {
  const response = await until('the stored model', async () => {
    const r = await fetch(`${balancer.url}/api/federations/${FEDERATION.id}/model.flkw`, { headers: { authorization: `Bearer ${TOKEN}` } });
    return r.ok && r;
  });
  return decodeWeights(new Uint8Array(await response.arrayBuffer())).values;
}

/** The federation as a coordinator behind the balancer reports it. */
const federation = () => api<FederationSummary>('GET', `/api/federations/${FEDERATION.id}`);
/** A round at least `round` is training (restarting a coordinator on 2 busy cores can take several rounds); gives its number. */
const trainingFrom = (round: number) =>
  until(`round ${round} or later training`, async () => {
    const { status, round: current } = await federation();
    return current >= round && status === 'training' && current;
  });

async function dump(): Promise<void> {
  const events = await api<EventLogEntry[]>('GET', `/api/federations/${FEDERATION.id}/events?limit=80`).catch(() => []);
  console.log(JSON.stringify(await federation().catch(() => null)), JSON.stringify(events, null, 0).slice(0, 20_000));
  for (const c of coordinators) console.log(c.output().slice(-3000));
  console.log(devices.map((d) => `${d.socket.connected} ${d.refusals.join(' | ')}`).join('\n'));
}

async function owner(): Promise<CoordinatorProcess> {
  const { rows } = await db.query<{ holder: string }>('select holder from federation_leases where federation_id = $1 and expires_at > now()', [FEDERATION.id]);
  const found = coordinators.find((c, i) => `coordinator-${i + 1}` === rows[0]?.holder);
  if (!found) throw new Error(`no coordinator holds the lease (${rows[0]?.holder})`);
  return found;
}

beforeAll(async () => {
  [postgres, redis] = await Promise.all([PostgresServer.launch(), RedisServer.launch()]);
  db = new pg.Client({ connectionString: postgres.url });
  await db.connect();
  const env = (i: number) => ({ FLOCK_DATABASE_URL: postgres.url, FLOCK_REDIS_URL: redis.url, FLOCK_COORDINATOR_ID: `coordinator-${i}` });
  // Three coordinators start at once on an empty database: one of them creates the demo federation.
  coordinators.push(...(await Promise.all([1, 2, 3].map((i) => CoordinatorProcess.launch({ adminToken: TOKEN, env: env(i) })))));
  balancer = await HaproxyServer.launch(coordinators.map((c) => c.url));
}, 180_000);

afterAll(async () => {
  for (const d of devices) d.close();
  await db?.end();
  await balancer?.stop();
  await Promise.all(coordinators.map((c) => c.stop()));
  await redis?.stop();
  await postgres?.stop();
}, 60_000);

describe('three coordinators behind HAProxy, on PostgreSQL and Redis, serving one federation', () => {
  it('loses no round and counts no update twice when the owner and then another coordinator are killed, and Redis restarts', async () => {
    await scenario().catch(async (err: unknown) => {
      await dump();
      throw err;
    });
  }, 300_000);
});

async function scenario(): Promise<void> {
  await api('POST', '/api/federations', FEDERATION);
  const initial = await storedModel();
  for (let i = 0; i < DEVICES; i++) {
    devices.push(
      await LightDevice.join(balancer.url, {
        federationId: FEDERATION.id,
        deviceId: `light-device-${String(i).padStart(2, '0')}`,
        examples: examplesOf(i),
        delta: deltaOf(i),
        answerAfterMs: 2_500,
      }),
    );
  }
  // Every coordinator took some of the devices (HAProxy balances connections round robin).
  expect((await balancer.backends()).map((b) => b.connections).every((n) => n > 0)).toBe(true);
  await api('POST', `/api/federations/${FEDERATION.id}/start`);

  await trainingFrom(2);
  const first = await owner();
  const killedAt = Date.now();
  await first.kill('SIGKILL');
  const second = await until('another coordinator took the lease', async () => {
    const next = await owner();
    return next !== first && next;
  });
  const failoverMs = Date.now() - killedAt;
  expect(failoverMs).toBeLessThan(10_000);
  const firstBack = first.start();

  const bystanderKilledIn = await trainingFrom(3);
  const bystander = coordinators.find((c) => c !== second && c !== first)!;
  await bystander.kill('SIGKILL');
  await trainingFrom(bystanderKilledIn + 1);
  const bystanderBack = bystander.start();
  await redis.stop();
  await redis.start();
  await Promise.all([firstBack, bystanderBack]);

  const done = await until('the federation finished', async () => ((await federation()).status === 'finished' ? federation() : null), 120_000);
  expect(done.round).toBe(ROUNDS);

  const rounds = await api<RoundRecord[]>('GET', `/api/federations/${FEDERATION.id}/rounds`);
  expect(rounds.map((r) => r.round)).toEqual(Array.from({ length: ROUNDS }, (_, i) => i + 1));
  expect(rounds.map((r) => r.participants)).toEqual(Array(ROUNDS).fill(DEVICES));
  const examples = Array.from({ length: DEVICES }, (_, i) => examplesOf(i)).reduce((a, b) => a + b, 0);
  expect(rounds.map((r) => r.examples)).toEqual(Array(ROUNDS).fill(examples));

  // What one coordinator computes from the same updates: the federation's strategy, step by step.
  const strategy = createFederationStrategy(FEDERATION, initial.length, secureRandom());
  let expected = initial;
  for (let round = 1; round <= ROUNDS; round++) {
    const aggregation = strategy.beginRound();
    for (let i = 0; i < DEVICES; i++) aggregation.add(deltaOf(i)(round, expected.length), examplesOf(i));
    expected = strategy.step(expected, aggregation.result());
  }
  const final = await storedModel();
  let worst = 0;
  for (let j = 0; j < final.length; j++) worst = Math.max(worst, Math.abs(final[j]! - expected[j]!));
  expect(worst).toBeLessThan(1e-6);

  const events = await api<{ entries: EventLogEntry[] } | EventLogEntry[]>('GET', `/api/federations/${FEDERATION.id}/events?limit=1000`);
  const entries = Array.isArray(events) ? events : events.entries;
  const takeover = entries.find(
    (e) => e.kind === 'coordinator-took-over' && e.message.includes(`from coordinator coordinator-${coordinators.indexOf(first) + 1}`),
  );
  expect(takeover?.message).toMatch(/took over this federation from coordinator coordinator-\d, whose lease ended without being renewed/);
  console.log(JSON.stringify({ failoverMs }));
  const unreachable = await restCall(balancer.url, TOKEN, 'GET', '/api/health');
  expect(unreachable.status).toBe(200);
}
