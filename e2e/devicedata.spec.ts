import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testFederationConfig } from '@flock/fl-core/testing';
import { expect, test, type Browser, type Page } from '@playwright/test';
import { adminHeaders, E2E_ADMIN_TOKEN, fetchDevices, fetchRounds } from './support/coordinator.ts';
import { readStore } from './support/indexedDb.ts';
import { csvFile, CSV_CLASSES, syntheticCsv } from './support/syntheticCsv.ts';

const FEDERATION = 'devicedata-e2e';
const TEST_FRACTION = 0.25;

/** An uncompressed 24-bit BMP (which createImageBitmap decodes) of one gray level. */
function grayBmp(width: number, height: number, level: number): Buffer {
  const row = Math.ceil((width * 3) / 4) * 4;
  const bmp = Buffer.alloc(54 + row * height);
  bmp.write('BM', 0);
  bmp.writeUInt32LE(bmp.length, 2);
  bmp.writeUInt32LE(54, 10);
  bmp.writeUInt32LE(40, 14);
  bmp.writeInt32LE(width, 18);
  bmp.writeInt32LE(height, 22);
  bmp.writeUInt16LE(1, 26);
  bmp.writeUInt16LE(24, 28);
  bmp.writeUInt32LE(row * height, 34);
  bmp.fill(level, 54);
  return bmp;
}

async function devicePage(browser: Browser, federation: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  // Forced: measurement would pick cpu or webgl over software WebGPU (training.spec.ts tests the chooser).
  await page.goto(`/?federation=${federation}&backend=webgpu`);
  await expect(page.getByTestId('backend')).toHaveText(/^webgpu/, { timeout: 90_000 });
  return page;
}

test('devices import their own CSV, train on it, and report federated evaluation; the model can be tried', async ({ browser, request }) => {
  const created = await request.post('/api/federations', {
    headers: adminHeaders,
    data: testFederationConfig({
      id: FEDERATION,
      name: 'device data',
      model: 'tabular-mlp',
      dataset: {
        kind: 'device',
        schema: { type: 'csv', features: ['f1', 'f2', 'f3', 'f4'], label: 'species', classes: CSV_CLASSES },
        testFraction: TEST_FRACTION,
      },
      training: { epochs: 3, batchSize: 8, learningRate: 0.3 },
      maxRounds: 2,
      minDevices: 2,
      deadline: { mode: 'fixed', ms: 300_000 },
      evalExamples: 1,
      modelSeed: 3,
    }),
  });
  expect(created.status(), await created.text()).toBe(201);

  const [a, b] = [await devicePage(browser, FEDERATION), await devicePage(browser, FEDERATION)];
  await expect(a.getByTestId('own-data-format')).toContainText('f1, f2, f3, f4 (numbers) and species (one of red, green, blue)');

  // A device without data cannot join a device-data federation.
  await a.getByTestId('join').click();
  await expect(a.getByTestId('import-result')).toHaveText(/^Import your examples before joining/);

  // A bad file is refused whole, its first bad row named first.
  const bad = syntheticCsv(6, 1).split('\n');
  bad[2] = '0.1,abc,0.2,0.0,green';
  bad[4] = '0.9,0.1,0.1,0.0,purple';
  await a.getByTestId('import-file').setInputFiles(csvFile('bad.csv', bad.join('\n')));
  await expect(a.getByTestId('import-result')).toHaveText(
    'refused: bad.csv, row 3: column f2 is "abc", not a number; bad.csv, row 5: label "purple" is not one of red, green, blue',
  );
  await expect(a.getByTestId('own-examples')).toHaveText('0');

  await a.getByTestId('import-file').setInputFiles(csvFile('a.csv', syntheticCsv(40, 2)));
  await expect(a.getByTestId('import-result')).toHaveText('imported 40 examples; 40 stored');
  await b.getByTestId('import-file').setInputFiles(csvFile('b.csv', syntheticCsv(48, 3)));
  await expect(b.getByTestId('own-examples')).toHaveText('48');
  await expect(b.getByTestId('storage-used')).toHaveText(/\d/);
  // In the tab's IndexedDB (store `examples`): 40 rows of 4 float32 features.
  expect(await readStore(a, 'examples')).toMatchObject([{ federationId: FEDERATION, count: 40, features: { binary: 'Float32Array', byteLength: 40 * 4 * 4 } }]);

  for (const page of [a, b]) {
    await page.getByTestId('join').click();
    await expect(page.getByTestId('device-status')).toHaveAttribute('data-state', 'waiting-for-round', { timeout: 60_000 });
  }
  // Each declares what it trains on: its examples less the held-out quarter.
  const devices = await fetchDevices(request, FEDERATION);
  expect(devices.map((d) => d.examples).sort()).toEqual([30, 36]);

  expect((await request.post(`/api/federations/${FEDERATION}/start`, { headers: adminHeaders, data: {} })).ok()).toBe(true);
  await expect.poll(async () => (await fetchRounds(request, FEDERATION)).length, { timeout: 90_000, intervals: [1_000] }).toBe(2);
  for (const r of await fetchRounds(request, FEDERATION)) {
    expect(r.participants).toBe(2);
    expect(r.examples).toBe(66);
    expect(r.accuracy).toBeNull(); // the coordinator holds no test data for device data
  }

  type Report = {
    devices: { round: number; examples: number }[];
    rounds: { round: number; devices: number; examples: number; accuracy: { min: number; max: number } }[];
  };
  const evaluationReport = async () => {
    const evaluations = await request.get(`/api/federations/${FEDERATION}/evaluations`, { headers: adminHeaders });
    expect(evaluations.ok()).toBe(true);
    return (await evaluations.json()) as Report;
  };
  // Each model is scored by both tabs: the initial one and round 1's with the next update, the final one once the federation finished.
  await expect.poll(async () => (await evaluationReport()).devices.length, { timeout: 30_000 }).toBe(6);
  const report = await evaluationReport();
  expect(report.rounds.map((r) => [r.round, r.devices, r.examples])).toEqual([
    [0, 2, 22],
    [1, 2, 22],
    [2, 2, 22],
  ]);
  for (const r of report.rounds) expect(r.accuracy.min).toBeLessThanOrEqual(r.accuracy.max);
  expect((await request.get(`/api/federations/${FEDERATION}/evaluations`)).status()).toBe(401);

  const admin = await (await browser.newContext()).newPage();
  await admin.goto(`/admin/federations/${FEDERATION}/rounds`);
  await admin.getByTestId('admin-token').fill(E2E_ADMIN_TOKEN);
  await admin.getByTestId('admin-login').click();
  await expect(admin.getByTestId('federated-evaluation-row')).toHaveCount(3);
  await expect(admin.getByTestId('federated-evaluation-devices').first()).toHaveText('2');

  // Each tab shows how the last global model it received did on its held-out examples.
  await expect(a.getByTestId('held-out-accuracy')).toHaveText(/^\d+\.\d% \(10 examples\)$/);

  // Try the model on one of the tab's own examples: a prediction among the schema's classes.
  await a.getByTestId('try-example').click();
  await expect(a.getByTestId('try-prediction')).toHaveText(/^(red|green|blue)$/);
  await expect(a.getByTestId('try-result')).toHaveText(
    /^On example \d+ of the \d+ this device holds it looks like (red|green|blue) \(\d+(\.\d)?% sure\).*\. It is labelled (red|green|blue): the model is (right|wrong)\.$/,
  );
  for (const page of [a, b]) await expect(page.getByTestId('backend')).toHaveText(/^webgpu/);
});

test('try the model: a digit drawn with the mouse gets a predicted class, said in words', async ({ browser }) => {
  const page = await devicePage(browser, 'demo');
  const canvas = page.getByTestId('try-canvas');
  const box = (await canvas.boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.2);
  await page.mouse.down();
  for (const [x, y] of [
    [0.5, 0.5],
    [0.5, 0.8],
  ] as const)
    await page.mouse.move(box.x + box.width * x, box.y + box.height * y, { steps: 8 });
  await page.mouse.up();
  await page.getByTestId('try-predict').click();
  await expect(page.getByTestId('try-prediction')).toHaveText(/^[0-9]$/, { timeout: 60_000 });
  await expect(page.getByTestId('try-result')).toHaveText(/^On your drawing it looks like an? [0-9] \(\d+(\.\d)?% sure\)(; next: .+)?\.$/);
});

test('an image folder is imported class by class, scaled to the schema, and a too-small image is refused by name', async ({ browser, request }) => {
  const federation = 'devicedata-images';
  const created = await request.post('/api/federations', {
    headers: adminHeaders,
    data: {
      id: federation,
      name: 'device images',
      model: 'mnist-mlp',
      dataset: { kind: 'device', schema: { type: 'image', width: 8, height: 8, channels: 1, classes: ['dark', 'light'] }, testFraction: 0.5 },
      training: { epochs: 1, batchSize: 2, learningRate: 0.1 },
      maxRounds: 1,
      minDevices: 1,
      clientsPerRound: 'all',
      quorum: 1,
      evalExamples: 1,
      modelSeed: 1,
    },
  });
  expect(created.status(), await created.text()).toBe(201);
  const root = await mkdtemp(join(tmpdir(), 'flock-images-'));
  const folder = join(root, 'shades');
  for (const cls of ['dark', 'light']) await mkdir(join(folder, cls), { recursive: true });
  await writeFile(join(folder, 'dark', 'a.bmp'), grayBmp(16, 12, 10));
  await writeFile(join(folder, 'light', 'b.bmp'), grayBmp(8, 8, 240));
  await writeFile(join(folder, 'light', 'tiny.bmp'), grayBmp(4, 4, 240));

  const page = await devicePage(browser, federation);
  await page.getByTestId('import-file').setInputFiles(folder);
  await expect(page.getByTestId('import-result')).toHaveText('refused: shades/light/tiny.bmp is 4x4, smaller than the 8x8 this federation takes');
  await expect(page.getByTestId('own-examples')).toHaveText('0');

  await writeFile(join(folder, 'light', 'tiny.bmp'), grayBmp(9, 9, 250));
  await page.getByTestId('import-file').setInputFiles(folder);
  await expect(page.getByTestId('import-result')).toHaveText('imported 3 examples; 3 stored');
  const [stored] = await readStore(page, 'examples');
  expect(stored).toMatchObject({ count: 3, height: 8, width: 8, channels: 1, pixels: { byteLength: 3 * 64 }, labels: { byteLength: 3 } });

  await page.getByTestId('delete-examples').click();
  await expect(page.getByTestId('own-examples')).toHaveText('0');
  expect(await readStore(page, 'examples')).toEqual([]);
});
