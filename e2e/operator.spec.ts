import { expect, test, type Browser, type Page } from '@playwright/test';
import { adminHeaders, E2E_ADMIN_TOKEN, fetchRounds } from './support/coordinator.ts';
import { csvFile, syntheticCsv } from './support/syntheticCsv.ts';

const FEDERATION = 'operator-e2e';

/** One browser context per device, opened from the dashboard's join link (backend forced: see federation.spec.ts). */
async function openJoinLink(browser: Browser, link: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  page.on('pageerror', (err) => console.log(`[device] page error: ${err.message}`));
  await page.goto(`${link}&backend=webgpu`);
  await expect(page.getByTestId('backend')).toHaveText(/^webgpu/, { timeout: 90_000 });
  return page;
}

/** Distinct colours among the screenshot's pixels, counted in the page itself from the PNG (an <img>: the CSP allows data: images, not fetches). */
function distinctColours(page: Page, png: Buffer): Promise<number> {
  return page.evaluate(async (base64) => {
    const image = new Image();
    image.src = `data:image/png;base64,${base64}`;
    await image.decode();
    const canvas = new OffscreenCanvas(image.width, image.height);
    const context = canvas.getContext('2d')!;
    context.drawImage(image, 0, 0);
    const { data } = context.getImageData(0, 0, image.width, image.height);
    const colours = new Set<number>();
    for (let i = 0; i < data.length; i += 4 * 7) colours.add((data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!);
    return colours.size;
  }, png.toString('base64'));
}

test('an operator creates a federation in the dashboard, three devices join by its link and train two rounds, and the model is downloaded and tried', async ({
  browser,
  request,
}) => {
  const admin = await (await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true })).newPage();
  await admin.goto('/admin');
  await admin.getByTestId('admin-token').fill(E2E_ADMIN_TOKEN);
  await admin.getByTestId('admin-login').click();
  await expect(admin.getByTestId('federation-row')).not.toHaveCount(0);

  // The form: device-provided CSV data, its schema, training and round policy.
  await admin.getByTestId('new-federation').click();
  const form = admin.getByTestId('federation-form');
  await form.getByTestId('form-id').fill(FEDERATION);
  await form.getByTestId('form-name').fill('Operator e2e');
  await form.getByTestId('form-model').selectOption('tabular-mlp');
  await form.getByTestId('form-dataset').selectOption('device');
  await form.getByTestId('form-schema-features').fill('f1, f2, f3, f4');
  await form.getByTestId('form-schema-label').fill('species');
  await form.getByTestId('form-schema-classes').fill('red, green, blue');
  await form.getByTestId('form-test-fraction').fill('0.25');
  await form.getByTestId('form-epochs').fill('3');
  await form.getByTestId('form-batch-size').fill('8');
  await form.getByTestId('form-learning-rate').fill('0.3');
  await form.getByTestId('form-optimizer').selectOption('momentum');
  await form.getByTestId('form-max-rounds').fill('2');
  await form.getByTestId('form-min-devices').fill('3');
  await form.getByTestId('form-deadline-mode').selectOption('fixed');
  await form.getByTestId('form-deadline-ms').fill('300000');
  await form.getByTestId('form-quorum').fill('1');
  await form.getByTestId('form-below-quorum').selectOption('abandon');
  // A bad value is named before anything is sent.
  await form.getByTestId('form-batch-size').fill('0');
  await form.getByTestId('form-submit').click();
  await expect(form.getByTestId('form-batch-size-error')).toHaveText('Enter a whole number from 1 to 4096 (not 0).');
  await expect(form.getByTestId('form-error')).toContainText('Batch size: Enter a whole number from 1 to 4096 (not 0).');
  await form.getByTestId('form-batch-size').fill('8');
  await form.getByTestId('form-submit').click();
  await expect(form).toHaveCount(0);
  // Saving opens the new federation's console; its join link is in the Devices view.
  await expect(admin.getByTestId('selected-federation')).toContainText(FEDERATION);
  await expect(admin.getByTestId('federation-status')).toHaveText('idle');
  await admin.getByTestId('view-devices').click();
  await expect(admin).toHaveURL(new RegExp(`/admin/federations/${FEDERATION}/devices$`));
  await expect(admin.getByTestId('join-qr')).toBeVisible();
  const link = (await admin.getByTestId('join-link').getAttribute('href'))!;
  expect(link).toMatch(new RegExp(`/\\?federation=${FEDERATION}$`));

  // Three devices open the join link; one is refused a bad CSV with the rows named, then each imports its own.
  const devices: Page[] = [];
  for (let i = 0; i < 3; i++) devices.push(await openJoinLink(browser, link));
  const bad = syntheticCsv(6, 1).split('\n');
  bad[3] = '0.1,0.2,0.3,0.0,purple';
  await devices[0]!.getByTestId('import-file').setInputFiles(csvFile('bad.csv', bad.join('\n')));
  await expect(devices[0]!.getByTestId('import-result')).toHaveText('refused: bad.csv, row 4: label "purple" is not one of red, green, blue');
  for (const [i, page] of devices.entries()) {
    await page.getByTestId('import-file').setInputFiles(csvFile(`device-${i}.csv`, syntheticCsv(40, i + 2)));
    await expect(page.getByTestId('own-examples')).toHaveText('40');
    await page.getByTestId('join').click();
    await expect(page.getByTestId('device-status')).toHaveAttribute('data-state', 'waiting-for-round', { timeout: 60_000 });
  }

  // Two rounds, started from the dashboard and watched there.
  await expect(admin.getByTestId('device-row')).toHaveCount(3);
  await admin.getByTestId('view-overview').click();
  await admin.getByTestId('start').click();
  await expect(admin.getByTestId('federation-status')).toHaveText('finished', { timeout: 120_000 });
  await admin.getByTestId('view-rounds').click();
  await expect(admin.getByTestId('round-row')).toHaveCount(2);
  for (const r of await fetchRounds(request, FEDERATION)) expect(r).toMatchObject({ participants: 3, examples: 90 });
  const metrics = await (await request.get('/metrics', { headers: adminHeaders })).text();
  expect(metrics).toContain(`flock_rounds_completed_total{federation="${FEDERATION}"} 2`);
  expect(metrics).toContain(`flock_round_duration_seconds_count{federation="${FEDERATION}"} 2`);
  expect(metrics).toContain(`flock_devices_connected{federation="${FEDERATION}"} 3`);
  await expect(admin.getByTestId('participation-chart')).toBeVisible();
  await expect(admin.getByTestId('round-timeline').locator('[data-round]')).toHaveCount(2);

  // The model and the rounds as files.
  const [model] = await Promise.all([admin.waitForEvent('download'), admin.getByTestId('download-model').click()]);
  expect(model.suggestedFilename()).toBe(`flock-${FEDERATION}-tabular-mlp-round-2.flkw`);
  const [csv] = await Promise.all([admin.waitForEvent('download'), admin.getByTestId('export-csv').click()]);
  const { readFile } = await import('node:fs/promises');
  const rows = (await readFile((await csv.path())!, 'utf8')).trim().split('\r\n');
  expect(rows[0]).toMatch(/^round,participants,examples,/);
  expect(rows.slice(1).map((r) => r.split(',').slice(0, 3).join(','))).toEqual(['1,3,90', '2,3,90']);

  // Try the model: a device's own example, then a digit drawn on the dashboard's panel (the demo federation).
  await devices[1]!.getByTestId('try-example').click();
  await expect(devices[1]!.getByTestId('try-prediction')).toHaveText(/^(red|green|blue)$/);
  await admin.getByTestId('all-federations').click();
  await expect(admin.locator(`[data-testid="federation-row"][data-federation-id="${FEDERATION}"]`)).toContainText('finished');
  await admin.locator('[data-testid="federation-row"][data-federation-id="demo"]').getByTestId('open-federation').click();
  await expect(admin.getByTestId('selected-federation')).toContainText('demo');
  await admin.getByTestId('view-rounds').click();
  const canvas = admin.getByTestId('try-canvas');
  await canvas.scrollIntoViewIfNeeded();
  const box = (await canvas.boundingBox())!;
  await admin.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.2);
  await admin.mouse.down();
  await admin.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.8, { steps: 8 });
  await admin.mouse.up();
  await admin.getByTestId('try-predict').click();
  await expect(admin.getByTestId('try-prediction')).toHaveText(/^[0-9]$/, { timeout: 60_000 });

  // The console of the finished federation, as a picture that is not blank.
  await admin.goto(`/admin/federations/${FEDERATION}/rounds`);
  await expect(admin.getByTestId('round-row')).toHaveCount(2);
  await admin.evaluate(() => window.scrollTo(0, 0));
  const screenshot = await admin.screenshot({ fullPage: true, path: test.info().outputPath('dashboard.png') });
  expect(await distinctColours(admin, screenshot)).toBeGreaterThan(20);
  for (const page of devices) await expect(page.getByTestId('backend')).toHaveText(/^webgpu/);
});
