import { testFederationConfig } from '@flock/fl-core/testing';
import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { adminHeaders, fetchRounds } from './support/coordinator.ts';

const FEDERATION = 'secure-tabs';

async function openDevice(browser: Browser): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('pageerror', (err) => console.log(`[tab] page error: ${err.message}`));
  // wasm: five tabs share two cores, and the secure stages are what this test is about, not the backend.
  await page.goto(`/?autojoin=1&backend=wasm&federation=${FEDERATION}`);
  return { context, page };
}

test('five tabs train a securely aggregated federation; one closed after sharing its keys, the round completes with the other four and the tabs say what the coordinator saw', async ({
  browser,
  request,
}) => {
  test.setTimeout(6 * 60_000);
  const started = Date.now();
  const config = testFederationConfig({
    id: FEDERATION,
    name: 'Secure aggregation',
    dataset: { kind: 'mnist', partition: 'iid', examplesPerDevice: 300, numDevices: 5, seed: 4 },
    // Long enough a round that the last tab is still training when the keys have been shared.
    training: { epochs: 3, batchSize: 10, learningRate: 0.1 },
    maxRounds: 2,
    minDevices: 4,
    clientsPerRound: 'all',
    deadline: { mode: 'fixed', ms: 120_000 },
    secureAggregation: { enabled: true, neighbours: 5, threshold: 3 },
    evalExamples: 500,
    modelSeed: 4,
  });
  const created = await request.post('/api/federations', { headers: adminHeaders, data: config });
  expect(created.status(), await created.text()).toBe(201);

  const tabs = [];
  for (let i = 0; i < 5; i++) tabs.push(await openDevice(browser));
  for (const { page } of tabs) {
    await expect(page.getByTestId('device-status')).toHaveAttribute('data-state', 'waiting-for-round', { timeout: 120_000 });
    await expect(page.getByTestId('privacy-guarantee')).toContainText('the coordinator sees only the sum of the updates of at least 3 devices');
  }
  expect((await request.post(`/api/federations/${FEDERATION}/start`, { headers: adminHeaders, data: {} })).ok()).toBe(true);

  const events = async () =>
    (await (await request.get(`/api/federations/${FEDERATION}/events`, { headers: adminHeaders })).json()) as { kind: string; message: string }[];
  await expect
    .poll(async () => (await events()).some((e) => /round 1, secure aggregation: 5 devices shared their keys/.test(e.message)), { intervals: [100] })
    .toBe(true);
  await tabs[4]!.context.close();

  await expect.poll(async () => (await fetchRounds(request, FEDERATION)).length, { timeout: 4 * 60_000, intervals: [2_000] }).toBe(2);
  const rounds = await fetchRounds(request, FEDERATION);
  for (const r of rounds) console.log(`round ${r.round}: ${r.participants} devices, accuracy ${r.accuracy?.toFixed(3)}, ${(r.durationMs / 1000).toFixed(1)} s`);
  expect(rounds[0]).toMatchObject({ participants: 4, examples: 1_200 });
  expect(rounds[1]!.accuracy!).toBeGreaterThan(0.6);
  const log = await events();
  expect(log.map((e) => e.message)).toContain(
    'round 1, secure aggregation: 4 devices sent their masked updates; 1 device left and counts as dropped from here on',
  );
  // No update ever travelled in the clear.
  expect(log.filter((e) => e.kind === 'update-accepted' || e.kind === 'update-rejected')).toEqual([]);
  console.log(`secure aggregation e2e: ${((Date.now() - started) / 1000).toFixed(0)} s`);
});
