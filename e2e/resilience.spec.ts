import { testFederationConfig } from '@flock/fl-core/testing';
import { expect, test, type APIRequestContext, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { CoordinatorProcess } from '../apps/coordinator/src/testing/coordinatorProcess.ts';
import { adminHeaders, E2E_ADMIN_TOKEN, type RoundRow } from './support/coordinator.ts';

const FEDERATION = 'resilience';
const EXAMPLES_PER_DEVICE = 100;
/** Fixed, and far above a round's time here (the first WebGPU round on SwiftShader took 40-58 s on 2 busy cores). */
const DEADLINE_MS = 90_000;

interface Tab {
  name: string;
  context: BrowserContext;
  page: Page;
  deviceId: string;
  shardRequests: string[];
}

interface DeviceRow {
  deviceId: string;
  connected: boolean;
  roundsContributed: number;
}

/** One browser context per device (its own IndexedDB), on the spawned coordinator's origin, training on WebGPU. */
async function openTab(browser: Browser, origin: string, name: string): Promise<Tab> {
  const context = await browser.newContext({ baseURL: origin });
  const page = await context.newPage();
  const shardRequests: string[] = [];
  page.on('request', (req) => {
    if (/\/api\/federations\/[^/]+\/shard\//.test(req.url())) shardRequests.push(req.url());
  });
  page.on('pageerror', (err) => console.log(`[${name}] page error: ${err.message}`));
  await page.goto(`/?federation=${FEDERATION}&autojoin=1&backend=webgpu`);
  return { name, context, page, deviceId: '', shardRequests };
}

function api(request: APIRequestContext) {
  const get = async <T>(path: string): Promise<T> => {
    const res = await request.get(`/api/federations/${FEDERATION}${path}`, { headers: adminHeaders });
    if (!res.ok()) throw new Error(`GET ${path}: ${res.status()} ${await res.text()}`);
    return (await res.json()) as T;
  };
  return {
    rounds: () => get<RoundRow[]>('/rounds'),
    devices: () => get<DeviceRow[]>('/devices'),
    summary: () => get<{ status: string; round: number }>(''),
    events: (kinds: string) => get<{ at: string; kind: string; level: string; message: string; deviceId: string | null }[]>(`/events?kind=${kinds}&limit=500`),
    contributed: async (deviceId: string) => (await get<DeviceRow[]>('/devices')).find((d) => d.deviceId === deviceId)?.roundsContributed ?? 0,
  };
}

function report(line: string): void {
  console.log(line);
  test.info().annotations.push({ type: 'resilience', description: line });
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

test('rounds survive a tab closed mid-round, a tab reloaded mid-training and a coordinator killed with SIGKILL', async ({ browser, playwright }) => {
  test.setTimeout(8 * 60_000);
  const startedAt = Date.now();
  const coordinator = await CoordinatorProcess.create({ adminToken: E2E_ADMIN_TOKEN });
  await coordinator.start();
  const request = await playwright.request.newContext({ baseURL: coordinator.url });
  const fed = api(request);
  try {
    const created = await request.post('/api/federations', {
      headers: adminHeaders,
      data: testFederationConfig({
        id: FEDERATION,
        dataset: { kind: 'mnist', partition: 'iid', examplesPerDevice: EXAMPLES_PER_DEVICE, numDevices: 4, seed: 5 },
        training: { epochs: 1, batchSize: 20, learningRate: 0.1 },
        maxRounds: 50,
        minDevices: 3,
        deadline: { mode: 'fixed', ms: DEADLINE_MS },
        quorum: 0.5,
        belowQuorum: 'extend-once',
        evalExamples: 200,
        modelSeed: 5,
      }),
    });
    expect(created.status(), await created.text()).toBe(201);

    const tabs: Tab[] = [];
    for (let i = 0; i < 4; i++) tabs.push(await openTab(browser, coordinator.url, `tab${i}`)); // one after another: ~2 s each to parse tfjs
    for (const tab of tabs) {
      await expect(tab.page.getByTestId('backend')).toHaveText(/^webgpu/, { timeout: 90_000 });
      await expect(tab.page.getByTestId('device-status')).toHaveAttribute('data-state', 'waiting-for-round', { timeout: 90_000 });
      await expect(tab.page.getByTestId('examples-stored')).toHaveText(String(EXAMPLES_PER_DEVICE));
      tab.deviceId = (await tab.page.getByTestId('device-id').getAttribute('data-device-id')) ?? '';
      expect(tab.shardRequests).toHaveLength(1);
    }
    expect((await request.post(`/api/federations/${FEDERATION}/start`, { headers: adminHeaders, data: {} })).ok()).toBe(true);
    report(`setup (coordinator, 4 WebGPU tabs, start): ${seconds(Date.now() - startedAt)}`);

    // (a) A tab closed while it trains: its round closes with the other three, well before the deadline.
    const closed = tabs[3]!;
    await expect(closed.page.getByTestId('device-status')).toHaveAttribute('data-state', 'training', { timeout: 120_000 });
    const roundA = (await fed.summary()).round;
    const tabClosedAt = Date.now();
    await closed.context.close();
    const live = tabs.slice(0, 3);
    await expect.poll(async () => (await fed.rounds()).some((r) => r.round === roundA), { timeout: DEADLINE_MS + 30_000 }).toBe(true);
    const recordA = (await fed.rounds()).find((r) => r.round === roundA)!;
    expect(recordA.participants).toBe(3);
    expect(recordA.durationMs).toBeLessThan(DEADLINE_MS);
    report(
      `(a) round ${roundA}: closed with ${recordA.participants} devices ${seconds(recordA.durationMs)} after it started, ` +
        `${seconds(Date.parse(recordA.completedAt) - tabClosedAt)} after the tab closed (deadline ${seconds(DEADLINE_MS)})`,
    );

    // (b) A tab reloaded while it trains: the same device, its shard from IndexedDB, and it contributes again.
    const reloaded = live[1]!;
    await expect(reloaded.page.getByTestId('device-status')).toHaveAttribute('data-state', 'training', { timeout: 120_000 });
    const contributedBeforeReload = await fed.contributed(reloaded.deviceId);
    reloaded.shardRequests.length = 0;
    const reloadAt = Date.now();
    await reloaded.page.reload();
    await expect(reloaded.page.getByTestId('device-id')).toHaveAttribute('data-device-id', reloaded.deviceId, { timeout: 60_000 });
    await expect(reloaded.page.getByTestId('backend')).toHaveText(/^webgpu/, { timeout: 90_000 });
    await expect(reloaded.page.getByTestId('device-status')).toHaveAttribute('data-state', /waiting-for-round|training|uploading/, { timeout: 90_000 });
    await expect(reloaded.page.getByTestId('examples-stored')).toHaveText(String(EXAMPLES_PER_DEVICE));
    await expect.poll(() => fed.contributed(reloaded.deviceId), { timeout: 120_000 }).toBeGreaterThan(contributedBeforeReload);
    await expect(reloaded.page.getByTestId('rounds-done')).not.toHaveText('0');
    expect(reloaded.shardRequests).toEqual([]);
    report(`(b) reloaded tab contributed again ${seconds(Date.now() - reloadAt)} after the reload, with no shard download`);

    // (c) The coordinator killed with SIGKILL mid-round, restarted on the same data directory and port.
    await expect
      .poll(async () => (await Promise.all(live.map((t) => t.page.getByTestId('device-status').getAttribute('data-state')))).includes('training'), {
        timeout: 120_000,
      })
      .toBe(true);
    const killedInRound = (await fed.summary()).round;
    await coordinator.kill('SIGKILL');
    for (const tab of live) {
      await expect(tab.page.getByTestId('connection')).toHaveText(/reconnecting|not reachable/, { timeout: 20_000 });
      await expect(tab.page.getByTestId('notice')).toContainText('Connection lost');
    }
    const spawnAt = Date.now();
    await coordinator.start();
    const healthyAt = Date.now();
    const persisted = await fed.rounds();
    const baseline = await fed.devices();
    for (const tab of live) await expect(tab.page.getByTestId('connection')).toHaveText('Connected', { timeout: 30_000 });
    const reconnectedAt = Date.now();
    await expect.poll(async () => (await fed.rounds()).length, { timeout: 120_000, intervals: [250] }).toBeGreaterThan(persisted.length);
    const firstAfterRestart = (await fed.rounds())[persisted.length]!;
    expect(firstAfterRestart.round).toBe(persisted.length + 1);
    const restartToRoundMs = Date.parse(firstAfterRestart.completedAt) - spawnAt;
    // Every surviving tab contributes again, with no reload.
    const before = (deviceId: string) => baseline.find((d) => d.deviceId === deviceId)?.roundsContributed ?? 0;
    for (const tab of live) {
      await expect.poll(() => fed.contributed(tab.deviceId), { timeout: 120_000 }).toBeGreaterThan(before(tab.deviceId));
    }
    report(
      `(c) killed in round ${killedInRound} with ${persisted.length} rounds stored; restart: healthy after ${seconds(healthyAt - spawnAt)}, ` +
        `tabs reconnected after ${seconds(reconnectedAt - spawnAt)}, round ${firstAfterRestart.round} completed ${seconds(restartToRoundMs)} after the spawn ` +
        `(${firstAfterRestart.participants} devices, ${seconds(firstAfterRestart.durationMs)} round)`,
    );

    // No gap and no duplicate in the history, across all three disruptions.
    const rounds = await fed.rounds();
    expect(rounds.map((r) => r.round)).toEqual(rounds.map((_, i) => i + 1));
    const events = await fed.events('round-abandoned,coordinator-restarted');
    const abandoned = events.filter((e) => e.kind === 'round-abandoned').length;
    const interrupted = events.filter((e) => e.kind === 'coordinator-restarted' && e.level === 'warn').length;
    report(
      `rounds completed ${rounds.length} of ${rounds.length + abandoned + interrupted} attempted ` +
        `(${abandoned} abandoned, ${interrupted} interrupted by the kill; the round running at the end not counted)`,
    );
    for (const r of rounds) report(`round ${r.round}: ${r.participants} devices, ${seconds(r.durationMs)}`);
    const trace = await fed.events(
      'round-started,round-closed,round-abandoned,update-accepted,update-rejected,device-dropped,device-online,coordinator-restarted',
    );
    await test
      .info()
      .attach('event log', { body: trace.map((e) => `${e.at} ${e.kind} ${e.deviceId ?? '-'} ${e.message}`).join('\n'), contentType: 'text/plain' });
    for (const tab of live) {
      await expect(tab.page.getByTestId('backend')).toHaveText(/^webgpu/);
      report(
        `${tab.name}: rounds done ${await tab.page.getByTestId('rounds-done').textContent()}, missed ${await tab.page.getByTestId('rounds-missed').textContent()}`,
      );
    }
    report(`total ${seconds(Date.now() - startedAt)}`);
  } finally {
    await coordinator.kill();
    await request.dispose();
  }
});
