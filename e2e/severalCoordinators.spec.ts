import type { EventLogEntry, FederationSummary } from '@flock/fl-core';
import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import pg from 'pg';
import { CoordinatorProcess } from '../apps/coordinator/src/testing/coordinatorProcess.ts';
import { HaproxyServer } from '../apps/coordinator/src/testing/haproxyServer.ts';
import { LightDevice } from '../apps/coordinator/src/testing/lightDevices.ts';
import { PostgresServer } from '../apps/coordinator/src/testing/postgresServer.ts';
import { RedisServer } from '../apps/coordinator/src/testing/redisServer.ts';
import { adminHeaders, E2E_ADMIN_TOKEN, fetchRounds } from './support/coordinator.ts';
import { createMnistFederation, operateFederation } from './support/mnistFederation.ts';

// Three real coordinator processes behind HAProxy on one PostgreSQL and Redis; two real tabs train MNIST through the
// balancer next to light devices, and the coordinator running the rounds is killed with SIGKILL in round 2, after
// both tabs delivered their round-2 update and while the light devices still train: the redone round must count the
// tabs' resent updates (a coordinator once answered them from its memory of the first attempt, and never folded them).
const FEDERATION = 'shared-mnist';
const ROUNDS = 3;
/** Headless devices beside the tabs, as the scale-out test names them: 30. */
const LIGHT_DEVICES = 30;
const TABS = 2;
const EXAMPLES_PER_TAB = 40;
const LIGHT_EXAMPLES = 30;
const EPOCHS = 1;
/** The light devices answer late, so round 2 is still open when the tabs have delivered theirs. */
const LIGHT_ANSWER_MS = 6_000;

let postgres: PostgresServer;
let redis: RedisServer;
let balancer: HaproxyServer;
let db: pg.Client;
const coordinators: CoordinatorProcess[] = [];
const lightDevices: LightDevice[] = [];

const coordinatorId = (i: number) => `coordinator-${i + 1}`;

test.beforeAll(async () => {
  test.setTimeout(180_000);
  [postgres, redis] = await Promise.all([PostgresServer.launch(), RedisServer.launch()]);
  db = new pg.Client({ connectionString: postgres.url });
  await db.connect();
  const env = (i: number) => ({ FLOCK_DATABASE_URL: postgres.url, FLOCK_REDIS_URL: redis.url, FLOCK_COORDINATOR_ID: coordinatorId(i) });
  coordinators.push(...(await Promise.all([0, 1, 2].map((i) => CoordinatorProcess.launch({ adminToken: E2E_ADMIN_TOKEN, env: env(i) })))));
  balancer = await HaproxyServer.launch(coordinators.map((c) => c.url));
});

test.afterAll(async () => {
  for (const device of lightDevices) device.close();
  await db?.end();
  await balancer?.stop();
  await Promise.all(coordinators.map((c) => c.stop()));
  await redis?.stop();
  await postgres?.stop();
});

/** The coordinator holding the federation's lease now, from the database the coordinators share. */
async function leaseHolder(): Promise<string | null> {
  const { rows } = await db.query<{ holder: string }>('select holder from federation_leases where federation_id = $1 and expires_at > now()', [FEDERATION]);
  return rows[0]?.holder ?? null;
}

async function summary(request: APIRequestContext): Promise<FederationSummary> {
  const res = await request.get(`/api/federations/${FEDERATION}`, { headers: adminHeaders });
  if (!res.ok()) throw new Error(`GET federation: ${res.status()} ${await res.text()}`);
  return (await res.json()) as FederationSummary;
}

async function events(request: APIRequestContext): Promise<EventLogEntry[]> {
  const res = await request.get(`/api/federations/${FEDERATION}/events?limit=500`, { headers: adminHeaders });
  if (!res.ok()) throw new Error(`GET events: ${res.status()} ${await res.text()}`);
  return (await res.json()) as EventLogEntry[];
}

/** What each part saw, for a failure: the federation, its event log, the tabs, the light devices and each coordinator's last output. */
async function dump(request: APIRequestContext, tabs: Page[]): Promise<void> {
  console.log(JSON.stringify(await summary(request).catch(String)));
  for (const e of (await events(request).catch(() => [])).reverse()) console.log(`${e.at} ${e.kind} ${e.deviceId ?? '-'} ${e.message}`);
  for (const tab of tabs) console.log(`tab: ${await tab.locator('body').innerText().catch(String)}`);
  for (const d of lightDevices)
    console.log(`light device: connected ${d.socket.connected}, acknowledged ${[...d.acknowledged].join(',')}; ${d.refusals.join(' | ')}`);
  for (const [i, c] of coordinators.entries()) console.log(`${coordinatorId(i)}:\n${c.output().slice(-4_000)}`);
}

test('two tabs and light devices on three coordinators behind the balancer train every round when the coordinator running them is killed', async ({
  browser,
  playwright,
}) => {
  test.setTimeout(180_000);
  const startedAt = Date.now();
  const request = await playwright.request.newContext({ baseURL: balancer.url });
  const tabs: Page[] = [];
  try {
    await createMnistFederation(request, FEDERATION, {
      dataset: { kind: 'mnist', partition: 'iid', examplesPerDevice: EXAMPLES_PER_TAB, numDevices: TABS, seed: 5 },
      training: { epochs: EPOCHS, batchSize: 10, learningRate: 0.05 },
      maxRounds: ROUNDS,
      minDevices: TABS + LIGHT_DEVICES,
      clientsPerRound: 'all',
      // What the light devices send (they do not quantize).
      codec: { uplink: 'float32', downlink: 'float32' },
    });

    // Each tab in its own context: its own IndexedDB and its own balancer cookie, so the two may land on different coordinators.
    for (let i = 0; i < TABS; i++) {
      const page = await (await browser.newContext({ baseURL: balancer.url })).newPage();
      page.on('pageerror', (err) => console.log(`[tab ${i}] page error: ${err.message}`));
      await page.goto(`/?federation=${FEDERATION}&autojoin=1&backend=cpu`);
      tabs.push(page);
    }
    // Each is kept as it joins, so afterAll closes those that did when another fails.
    await Promise.all(
      Array.from({ length: LIGHT_DEVICES }, async (_, i) => {
        lightDevices.push(
          await LightDevice.join(balancer.url, {
            federationId: FEDERATION,
            deviceId: `light-device-${i}`,
            examples: LIGHT_EXAMPLES,
            delta: (round, size) => Float32Array.from({ length: size }, (_, j) => Math.sin(i * 13 + j + round * 7) * 1e-3),
            answerAfterMs: LIGHT_ANSWER_MS,
          }),
        );
      }),
    );
    for (const tab of tabs) await expect(tab.getByTestId('device-status')).toHaveAttribute('data-state', 'waiting-for-round', { timeout: 90_000 });
    const tabDevices = await Promise.all(tabs.map(async (tab) => (await tab.getByTestId('device-id').getAttribute('data-device-id')) ?? ''));
    expect(new Set(tabDevices).size).toBe(TABS);
    // Every coordinator serves some of the devices (HAProxy sends each new connection to the least busy one).
    expect((await balancer.backends()).map((b) => b.connections).every((n) => n > 0)).toBe(true);

    await operateFederation(request, FEDERATION, 'start');
    await expect.poll(async () => summary(request).then((s) => `${s.status} ${s.round}`), { timeout: 60_000, intervals: [100] }).toBe('training 2');
    // Both tabs delivered round 2 (counted by the coordinator they are on) before the owner dies; the redone round asks them again.
    for (const tab of tabs) await expect(tab.getByTestId('rounds-done')).toHaveText('2', { timeout: 30_000 });
    const trainingAt = Date.now();
    const setupMs = trainingAt - startedAt;
    const owner = await leaseHolder();
    const killed = coordinators.find((_, i) => coordinatorId(i) === owner);
    expect(killed, `the lease holder ${owner} is one of the coordinators`).toBeDefined();
    const killedAt = Date.now();
    await killed!.kill('SIGKILL');
    await expect.poll(async () => (await leaseHolder()) ?? 'nobody', { timeout: 15_000, intervals: [200] }).not.toMatch(new RegExp(`^(${owner}|nobody)$`));
    const failoverMs = Date.now() - killedAt;

    await expect.poll(async () => (await summary(request)).status, { timeout: 90_000, intervals: [500] }).toBe('finished');
    for (const tab of tabs) {
      await expect(tab.getByTestId('notice')).toContainText('The federation finished', { timeout: 15_000 });
      await expect(tab.getByTestId('rounds-done')).toHaveText(String(ROUNDS));
    }

    const rounds = await fetchRounds(request, FEDERATION);
    expect(rounds.map((r) => r.round)).toEqual(Array.from({ length: ROUNDS }, (_, i) => i + 1));
    expect(rounds.map((r) => r.participants)).toEqual(Array(ROUNDS).fill(TABS + LIGHT_DEVICES));
    expect(rounds.map((r) => r.examples)).toEqual(Array(ROUNDS).fill(TABS * EXAMPLES_PER_TAB + LIGHT_DEVICES * LIGHT_EXAMPLES));
    const takeover = (await events(request)).filter((e) => e.kind === 'coordinator-took-over' && e.message.includes(`from coordinator ${owner},`));
    expect(takeover.map((e) => e.message)).toEqual([
      expect.stringMatching(/^coordinator coordinator-\d took over this federation from coordinator coordinator-\d, whose lease ended without being renewed/),
    ]);
    console.log(
      JSON.stringify({ failoverMs, roundsMs: rounds.map((r) => r.durationMs), wallMs: Date.now() - startedAt, killedAfterMs: killedAt - trainingAt, setupMs }),
    );
  } catch (err) {
    await dump(request, tabs);
    throw err;
  } finally {
    await Promise.all(tabs.map((tab) => tab.context().close()));
    await request.dispose();
  }
});
