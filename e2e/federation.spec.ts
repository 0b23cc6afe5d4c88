import { expect, test, type Browser, type Page } from '@playwright/test';
import { io, type Socket } from 'socket.io-client';
import { adminHeaders, E2E_ADMIN_TOKEN, fetchRounds } from './support/coordinator.ts';
import { readStoredShards } from './support/indexedDb.ts';

interface Device {
  page: Page;
  shardRequests: string[];
}

/** One browser context per device: each has its own IndexedDB, as separate phones would. */
async function openDevice(browser: Browser): Promise<Device> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const device: Device = { page, shardRequests: [] };
  page.on('request', (req) => {
    if (req.url().includes('/shard/')) device.shardRequests.push(req.url());
  });
  page.on('pageerror', (err) => console.log(`[tab] page error: ${err.message}`));
  // The backend is forced: measurement would pick cpu or webgl over software WebGPU (training.spec.ts tests the chooser).
  await page.goto('/?autojoin=1&backend=webgpu');
  return device;
}

function emitWithAck(socket: Socket, event: string, payload: unknown): Promise<unknown> {
  return socket.timeout(10_000).emitWithAck(event, payload);
}

test('three WebGPU tabs train the MNIST demo federation from the dashboard, and bad input never breaks a round', async ({ browser, request, baseURL }) => {
  const devices: Device[] = [];
  for (let i = 0; i < 3; i++) devices.push(await openDevice(browser)); // one after another: ~2 s each to parse tfjs

  for (const { page } of devices) {
    await expect(page.getByTestId('backend')).toHaveText(/^webgpu/, { timeout: 90_000 });
    await expect(page.getByTestId('device-status')).toHaveAttribute('data-state', 'waiting-for-round', { timeout: 90_000 });
  }

  // Each device holds its own 600-example shard in its own IndexedDB.
  const shards = await Promise.all(devices.map(({ page }) => readStoredShards(page)));
  for (const stored of shards) {
    expect(stored).toHaveLength(1);
    expect(stored[0]!.numExamples).toBe(600);
    expect(stored[0]!.byteLength).toBeGreaterThan(600 * 784);
  }
  expect(new Set(shards.map((s) => s[0]!.shardId)).size).toBe(3);
  for (const d of devices) expect(d.shardRequests).toHaveLength(1);

  // A reloaded tab is the same device and trains from what it kept: no second download.
  const reloaded = devices[0]!;
  reloaded.shardRequests.length = 0;
  await reloaded.page.reload();
  await expect(reloaded.page.getByTestId('device-status')).toHaveAttribute('data-state', 'waiting-for-round', { timeout: 90_000 });
  expect(reloaded.shardRequests).toEqual([]);

  // The operator starts the federation through the dashboard, with the admin token.
  const admin = await (await browser.newContext()).newPage();
  await admin.goto('/admin/federations/demo/devices');
  await admin.getByTestId('admin-token').fill(E2E_ADMIN_TOKEN);
  await admin.getByTestId('admin-login').click();
  await expect(admin.getByTestId('device-row')).toHaveCount(3);
  await admin.getByTestId('view-overview').click();
  await admin.getByTestId('start').click();
  await expect(devices[1]!.page.getByTestId('device-status')).toHaveAttribute('data-state', /training|uploading/, { timeout: 60_000 });

  // Meanwhile a hostile client sends garbage, an oversized payload and a NaN update; each gets a reason.
  const rogue = io(baseURL!, { transports: ['websocket'], reconnection: false });
  await new Promise<void>((resolve) => rogue.on('connect', () => resolve()));
  const protocolErrors: unknown[] = [];
  rogue.on('protocol:error', (msg: unknown) => protocolErrors.push(msg));
  expect(await emitWithAck(rogue, 'update', 'garbage')).toMatchObject({ ok: false, reason: expect.any(String) });
  expect(await emitWithAck(rogue, 'hello', { protocolVersion: 'x' })).toMatchObject({ ok: false });
  const update = { federationId: 'demo', round: 1, numExamples: 600, metrics: { loss: 1, accuracy: 0.5 } };
  const oversized = await emitWithAck(rogue, 'update', { ...update, payload: new Uint8Array(40 * 1024 * 1024) });
  expect(oversized).toMatchObject({ ok: false, reason: expect.stringMatching(/large/) });
  const nanPayload = new Uint8Array(new Float32Array([Number.NaN, 1, 2]).buffer);
  expect(await emitWithAck(rogue, 'update', { ...update, payload: nanPayload })).toMatchObject({ ok: false });
  rogue.emit('no-such-event', { hello: 'world' });
  await expect.poll(() => protocolErrors.length).toBeGreaterThan(0);
  rogue.close();

  // Five rounds later the shared model is good and got better.
  await expect.poll(async () => (await fetchRounds(request)).length, { timeout: 12 * 60_000, intervals: [3_000] }).toBeGreaterThanOrEqual(5);
  const rounds = (await fetchRounds(request)).slice(0, 5);
  for (const r of rounds) {
    console.log(
      `round ${r.round}: ${r.participants} devices, accuracy ${r.accuracy?.toFixed(4)}, loss ${r.loss?.toFixed(4)}, ` +
        `${(r.durationMs / 1000).toFixed(1)} s, up ${(r.bytesUp / r.participants / 1024).toFixed(0)} KiB/device, ` +
        `down ${(r.bytesDown / r.participants / 1024).toFixed(0)} KiB/device`,
    );
    expect(r.participants).toBe(3);
    expect(r.examples).toBe(1800);
  }
  expect(rounds[4]!.accuracy).toBeGreaterThanOrEqual(0.85);
  expect(rounds[4]!.accuracy!).toBeGreaterThan(rounds[0]!.accuracy!);

  // The dashboard shows the rounds, and every tab contributed to each of them.
  await expect(admin.getByTestId('metrics-chart')).toBeVisible();
  await admin.getByTestId('view-rounds').click();
  await expect.poll(() => admin.getByTestId('round-row').count()).toBeGreaterThanOrEqual(5);
  await admin.getByTestId('view-overview').click();
  for (const { page } of devices) {
    await expect.poll(async () => Number(await page.getByTestId('rounds-done').textContent())).toBeGreaterThanOrEqual(5);
  }

  await admin.getByTestId('stop').click();
  await admin.getByTestId('stop-confirm').click();
  await expect(admin.getByTestId('federation-status')).toHaveText(/stopped/);
  const federation = await request.get('/api/federations/demo', { headers: adminHeaders });
  expect(federation.ok()).toBe(true);
});
