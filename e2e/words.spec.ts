import { expect, test, type Page } from '@playwright/test';
import { adminHeaders, E2E_ADMIN_TOKEN, fetchRounds } from './support/coordinator.ts';
import { forbiddenIn, type ForbiddenHit } from './support/forbiddenText.ts';
import { createMnistFederation, operateFederation } from './support/mnistFederation.ts';

const FEDERATION = 'words-e2e';
/** The console's views (apps/web-client/src/admin): each is read once the federation has history. */
const CONSOLE_VIEWS = ['', '/devices', '/rounds', '/events', '/privacy', '/tokens'];

/** What a person can read on the page: the visible text, and the labels screen readers speak (charts, bars). */
async function visibleText(page: Page): Promise<string> {
  const body = await page.locator('body').innerText();
  const labels = await page.locator('[aria-label]').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
  return [body, ...labels].join('\n');
}

test('no text a person reads on the device page or the dashboard leaks code values, zod or tfjs messages, or raw ids, through a run with a pause', async ({
  browser,
  request,
}) => {
  test.setTimeout(300_000);
  const hits: ForbiddenHit[] = [];
  const read = async (where: string, page: Page) => hits.push(...forbiddenIn(where, await visibleText(page)));

  await createMnistFederation(request, FEDERATION, {
    dataset: { kind: 'mnist', partition: 'iid', examplesPerDevice: 200, numDevices: 2, seed: 9 },
    // Long enough that the pause lands in the middle of the round (as in devicePage.spec.ts).
    training: { epochs: 60, batchSize: 10, learningRate: 0.05 },
    maxRounds: 1,
    minDevices: 2,
  });
  const operate = (action: 'start' | 'pause' | 'resume') => operateFederation(request, FEDERATION, action);

  const devices: Page[] = [];
  for (let i = 0; i < 2; i++) {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`/?federation=${FEDERATION}&backend=cpu`);
    await read(`device ${i + 1} before joining`, page);
    await page.getByTestId('join').click();
    await expect(page.getByTestId('device-status')).toHaveAttribute('data-state', 'waiting-for-round', { timeout: 90_000 });
    devices.push(page);
  }
  const readDevices = async (when: string) => {
    for (const [i, page] of devices.entries()) await read(`device ${i + 1} ${when}`, page);
  };
  await readDevices('waiting for the first round');

  const admin = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  await admin.goto(`/admin?federation=${FEDERATION}`);
  await admin.getByTestId('admin-token').fill(E2E_ADMIN_TOKEN);
  await admin.getByTestId('admin-login').click();
  await expect(admin.getByTestId('selected-federation')).toContainText(FEDERATION);
  await read('dashboard before the start', admin);

  // The create-federation form (on the federations list), sent empty and with a bad value: its problems are sentences.
  await admin.getByTestId('all-federations').click();
  await admin.getByTestId('new-federation').click();
  const form = admin.getByTestId('federation-form');
  await form.getByTestId('form-batch-size').fill('0');
  await form.getByTestId('form-max-rounds').fill('');
  await form.getByTestId('form-submit').click();
  await expect(form.getByTestId('form-name-error')).toHaveText('Enter the name.');
  await expect(form.getByTestId('form-batch-size-error')).toBeVisible();
  await read('the create-federation form with problems', admin);
  await form.getByTestId('form-cancel').click();
  await admin.locator(`[data-testid="federation-row"][data-federation-id="${FEDERATION}"]`).getByTestId('open-federation').click();

  await operate('start');
  await expect(devices[0]!.getByTestId('progress-text')).toContainText('Epoch', { timeout: 60_000 });
  await readDevices('training');
  await read('dashboard while training', admin);

  // The pause calls the round off: the devices and the event log say so.
  await operate('pause');
  for (const page of devices) await expect(page.getByTestId('notice')).toContainText('The operator paused the federation', { timeout: 30_000 });
  await readDevices('paused');
  await expect(admin.getByTestId('federation-status')).toContainText('paused', { timeout: 30_000 });
  await read('dashboard while paused', admin);

  await operate('resume');
  await expect.poll(async () => (await fetchRounds(request, FEDERATION)).length, { timeout: 180_000, intervals: [1_000] }).toBe(1);
  await expect
    .poll(async () => ((await (await request.get(`/api/federations/${FEDERATION}`, { headers: adminHeaders })).json()) as { status: string }).status, {
      timeout: 30_000,
    })
    .toBe('finished');
  await readDevices('after the federation finished');
  await read('dashboard after the federation finished', admin);

  // The events route answers a list, or a page of one (the console's paged REST).
  const events = (await (await request.get(`/api/federations/${FEDERATION}/events?kind=round-abandoned`, { headers: adminHeaders })).json()) as
    { message: string }[] | { items: { message: string }[] };
  const abandoned = Array.isArray(events) ? events : events.items;
  expect(abandoned.map((e) => e.message)).toEqual([
    'round 1 called off: the operator paused the federation; none of its 2 selected devices had sent an update; it is trained again from the start when the federation resumes',
  ]);

  for (const view of CONSOLE_VIEWS) {
    await admin.goto(`/admin/federations/${FEDERATION}${view}`);
    await admin.waitForLoadState('networkidle');
    await read(`console view /admin/federations/${FEDERATION}${view}`, admin);
  }

  const report = hits.map((h) => `${h.where}: ${h.why}: "…${h.excerpt}…"`).join('\n');
  expect(hits, `text a person reads that they should not:\n${report}`).toEqual([]);
});
