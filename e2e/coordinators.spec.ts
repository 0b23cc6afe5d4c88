import { expect, test } from '@playwright/test';
import { CoordinatorProcess } from '../apps/coordinator/src/testing/coordinatorProcess.ts';
import { PostgresServer } from '../apps/coordinator/src/testing/postgresServer.ts';
import { E2E_ADMIN_TOKEN } from './support/coordinator.ts';
import { forbiddenIn } from './support/forbiddenText.ts';

// Two real coordinator processes on one PostgreSQL database; the console of one shows both, and says so when one goes silent.
let server: PostgresServer;
let a: CoordinatorProcess;
let b: CoordinatorProcess;

test.beforeAll(async () => {
  test.setTimeout(180_000);
  server = await PostgresServer.launch();
  const launch = (id: string) => CoordinatorProcess.launch({ adminToken: E2E_ADMIN_TOKEN, env: { FLOCK_DATABASE_URL: server.url, FLOCK_COORDINATOR_ID: id } });
  [a, b] = await Promise.all([launch('coordinator-a'), launch('coordinator-b')]);
});

test.afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await server?.stop();
});

test('the Coordinators page lists every coordinator on the database and says when one stops being heard from', async ({ page }) => {
  test.setTimeout(120_000);
  await page.goto(`${a.url}/admin`);
  await page.getByTestId('admin-token').fill(E2E_ADMIN_TOKEN);
  await page.getByTestId('admin-login').click();
  await page.getByTestId('page-coordinators').click();
  await expect(page).toHaveURL(`${a.url}/admin/coordinators`);

  const row = (id: string) => page.locator(`[data-testid="coordinator-row"][data-coordinator-id="${id}"]`);
  await expect(page.getByTestId('coordinator-row')).toHaveCount(2);
  for (const [id, c] of [
    ['coordinator-a', a],
    ['coordinator-b', b],
  ] as const) {
    await expect(row(id)).toContainText(/last heard from \d+ s ago/);
    await expect(row(id)).toContainText(c.url);
    await expect(row(id)).toContainText('up since');
    await expect(row(id)).toContainText(/\d+ devices? connected/);
  }
  expect(forbiddenIn('the Coordinators page', await page.locator('body').innerText())).toEqual([]);

  // Killed, it says no goodbye: after 10 s without a heartbeat the page says it may have stopped.
  await b.kill('SIGKILL');
  await expect(row('coordinator-b')).toContainText(/not heard from for \d+ s: it may have stopped/, { timeout: 30_000 });
  await expect(row('coordinator-a')).toContainText(/last heard from \d+ s ago/);

  // Reloaded, the page opens on its own URL.
  await page.reload();
  await expect(page.getByTestId('coordinators-view')).toBeVisible();
});
