import { testFederationConfig } from '@flock/fl-core/testing';
import { expect, test, type Browser, type Page } from '@playwright/test';
import { adminHeaders, E2E_ADMIN_TOKEN } from './support/coordinator.ts';
import { readStore } from './support/indexedDb.ts';

/** Collects Content-Security-Policy violations the page reports, from before its first script runs. */
async function watchCsp(page: Page): Promise<() => Promise<string[]>> {
  const fromConsole: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) fromConsole.push(m.text());
  });
  await page.addInitScript(() => {
    const w = window as unknown as { cspViolations: string[] };
    w.cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      w.cspViolations.push(`${e.violatedDirective} ${e.blockedURI} from ${e.sourceFile}:${e.lineNumber}`),
    );
  });
  return async () => [...fromConsole, ...(await page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations))];
}

async function logIn(browser: Browser, secret: string): Promise<{ page: Page; violations: () => Promise<string[]> }> {
  const page = await (await browser.newContext()).newPage();
  const violations = await watchCsp(page);
  await page.goto('/admin?federation=locked');
  await page.getByTestId('admin-token').fill(secret);
  await page.getByTestId('admin-login').click();
  await expect(page.getByTestId('federation-status')).not.toHaveText('—');
  return { page, violations };
}

test('an enrollment-only federation admits the join link, not a bare tab; the pages load under the CSP; a viewer only watches', async ({
  browser,
  request,
}) => {
  const created = await request.post('/api/federations', {
    headers: adminHeaders,
    data: testFederationConfig({
      id: 'locked',
      name: 'enrollment only',
      join: 'enrollment',
      model: 'mnist-cnn-small',
      dataset: { kind: 'mnist', partition: 'iid', examplesPerDevice: 50, numDevices: 4, seed: 1 },
      quorum: 0.5,
    }),
  });
  expect(created.status()).toBe(201);
  const minted = await request.post('/api/tokens', { headers: adminHeaders, data: { role: 'device', federationId: 'locked' } });
  const enrollment = ((await minted.json()) as { token: string }).token;

  // Security headers on the app itself.
  const index = await request.get('/');
  expect(index.headers()['content-security-policy']).toContain("script-src 'self' 'wasm-unsafe-eval'");
  expect(index.headers()['x-content-type-options']).toBe('nosniff');

  // A bare tab is refused with the reason; the join link's tab joins, keeps its credential and rejoins after a reload.
  const bare = await (await browser.newContext()).newPage();
  await bare.goto('/?federation=locked&autojoin=1&backend=webgpu');
  await expect(bare.getByText(/enrollment-only: join with its enrollment link/).first()).toBeVisible({ timeout: 90_000 });

  const tab = await (await browser.newContext()).newPage();
  const tabViolations = await watchCsp(tab);
  await tab.goto(`/?federation=locked&token=${enrollment}&autojoin=1&backend=webgpu`);
  await expect(tab.getByTestId('backend')).toHaveText(/^webgpu/, { timeout: 90_000 });
  await expect(tab.getByTestId('device-status')).toHaveAttribute('data-state', 'waiting-for-round', { timeout: 90_000 });
  const meta = await tab.evaluate(
    () =>
      new Promise<string[]>((resolve) => {
        const open = indexedDB.open('flock');
        open.onsuccess = () => {
          const keys = open.result.transaction('meta').objectStore('meta').getAllKeys();
          keys.onsuccess = () => resolve((keys.result as string[]).map(String));
        };
      }),
  );
  expect(meta).toContain('credential:locked');
  expect(await readStore(tab, 'shards')).toHaveLength(1);
  await tab.goto('/?federation=locked&autojoin=1&backend=webgpu'); // no token in the URL: the kept credential is enough
  await expect(tab.getByTestId('device-status')).toHaveAttribute('data-state', 'waiting-for-round', { timeout: 90_000 });
  expect(await tabViolations()).toEqual([]);

  // The admin's dashboard loads under the CSP and can act; a viewer sees the same federation without any button that acts.
  const admin = await logIn(browser, E2E_ADMIN_TOKEN);
  await expect(admin.page.getByTestId('start')).toBeVisible();
  await admin.page.getByTestId('view-tokens').click();
  await expect(admin.page.getByTestId('tokens-panel')).toBeVisible();
  expect(await admin.violations()).toEqual([]);

  const viewerToken = (
    (await (await request.post('/api/tokens', { headers: adminHeaders, data: { role: 'viewer', label: 'e2e' } })).json()) as { token: string }
  ).token;
  const viewer = await logIn(browser, viewerToken);
  await expect(viewer.page.getByTestId('federation-status')).toHaveText('idle');
  for (const id of ['start', 'stop']) await expect(viewer.page.getByTestId(id)).toHaveCount(0);
  await viewer.page.getByTestId('view-tokens').click();
  await expect(viewer.page.getByTestId('tokens-panel')).toHaveCount(0);
  await viewer.page.getByTestId('all-federations').click();
  await expect(viewer.page.getByTestId('federation-row')).not.toHaveCount(0);
  for (const id of ['new-federation', 'edit-federation']) await expect(viewer.page.getByTestId(id)).toHaveCount(0);
  expect(await viewer.violations()).toEqual([]);
});
