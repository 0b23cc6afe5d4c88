import { testFederationConfig } from '@flock/fl-core/testing';
import { expect, test, type Browser, type Page } from '@playwright/test';
import { adminHeaders, fetchRounds } from './support/coordinator.ts';

const FEDERATION = 'strategy-fedprox';

async function openDevice(browser: Browser): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  page.on('pageerror', (err) => console.log(`[tab] page error: ${err.message}`));
  await page.goto(`/?autojoin=1&backend=webgpu&federation=${FEDERATION}`);
  return page;
}

test('two WebGPU tabs train a FedProx federation with central DP created over REST; epsilon grows per round and the tabs state the guarantee', async ({
  browser,
  request,
}) => {
  test.setTimeout(5 * 60_000);
  const started = Date.now();
  const config = testFederationConfig({
    id: FEDERATION,
    name: 'FedProx with central DP',
    dataset: { kind: 'mnist', partition: 'iid', examplesPerDevice: 100, numDevices: 2, seed: 3 },
    training: { epochs: 1, batchSize: 20, learningRate: 0.1 },
    maxRounds: 2,
    minDevices: 2,
    deadline: { mode: 'fixed', ms: 120_000 },
    belowQuorum: 'extend-once',
    strategy: { name: 'fedprox', options: { mu: 0.05 } },
    // Little noise: two devices cannot hide one another; the test checks the mechanism, not the guarantee.
    privacy: { mode: 'central', clipNorm: 5, noiseMultiplier: 0.001, delta: 1e-5, onTarget: 'stop' },
    evalExamples: 200,
    modelSeed: 3,
  });
  const created = await request.post('/api/federations', { headers: adminHeaders, data: config });
  expect(created.status(), await created.text()).toBe(201);

  // A strategy the async mode cannot run is refused with the reason.
  const refused = await request.post('/api/federations', {
    headers: adminHeaders,
    data: { ...config, id: 'strategy-refused', mode: { kind: 'async', bufferSize: 2, maxStaleness: 2 } },
  });
  expect(refused.status()).toBe(400);
  expect(await refused.text()).toMatch(/fedprox is not supported in async/);

  const tabs = [await openDevice(browser), await openDevice(browser)];
  for (const page of tabs) {
    await expect(page.getByTestId('backend')).toHaveText(/^webgpu/, { timeout: 90_000 });
    await expect(page.getByTestId('device-status')).toHaveAttribute('data-state', 'waiting-for-round', { timeout: 90_000 });
    await expect(page.getByTestId('privacy-guarantee')).toContainText('adds noise to their sum');
  }
  expect((await request.post(`/api/federations/${FEDERATION}/start`, { headers: adminHeaders, data: {} })).ok()).toBe(true);

  await expect.poll(async () => (await fetchRounds(request, FEDERATION)).length, { timeout: 4 * 60_000, intervals: [2_000] }).toBe(2);
  const rounds = (await fetchRounds(request, FEDERATION)) as (Awaited<ReturnType<typeof fetchRounds>>[number] & { epsilon: number | null })[];
  for (const r of rounds) {
    console.log(
      `round ${r.round}: ${r.participants} devices, accuracy ${r.accuracy?.toFixed(3)}, epsilon ${r.epsilon?.toFixed(1)}, ${(r.durationMs / 1000).toFixed(1)} s`,
    );
    expect(r.participants).toBe(2);
  }
  expect(rounds[0]!.epsilon).toBeGreaterThan(0);
  expect(rounds[1]!.epsilon!).toBeGreaterThan(rounds[0]!.epsilon!);
  expect(rounds[1]!.accuracy!).toBeGreaterThan(0.4);
  const events = (await (await request.get(`/api/federations/${FEDERATION}/events`, { headers: adminHeaders })).json()) as { kind: string; message: string }[];
  expect(events.filter((e) => e.kind === 'update-rejected')).toEqual([]);
  // The guarantee the tabs show now names the epsilon spent.
  await expect(tabs[0]!.getByTestId('privacy-guarantee')).toContainText('So far ε =', { timeout: 30_000 });
  for (const page of tabs) await expect(page.getByTestId('backend')).toHaveText(/^webgpu/);
  console.log(`strategy e2e: ${((Date.now() - started) / 1000).toFixed(0)} s`);
});
