import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { testFederationConfig } from '@flock/fl-core/testing';
import { expect, test } from '@playwright/test';
import { writeSiloData } from '../apps/coordinator/src/testing/siloDataFiles.ts';
import { adminHeaders, fetchDevices, fetchRounds } from './support/coordinator.ts';

const FEDERATION = 'silo-e2e';
const SILO_EXAMPLES = 300;

test('a Node silo (flockctl client) and a browser tab train in the same rounds of one federation', async ({ browser, request, baseURL }) => {
  const created = await request.post('/api/federations', {
    headers: adminHeaders,
    data: testFederationConfig({
      id: FEDERATION,
      name: 'silo and tab',
      dataset: { kind: 'mnist', partition: 'iid', examplesPerDevice: 200, numDevices: 10, seed: 11 },
      training: { epochs: 1, batchSize: 20, learningRate: 0.1 },
      maxRounds: 2,
      minDevices: 2,
      deadline: { mode: 'fixed', ms: 300_000 },
      evalExamples: 500,
      modelSeed: 11,
    }),
  });
  expect(created.status(), await created.text()).toBe(201);

  const tab = await (await browser.newContext()).newPage();
  await tab.goto(`/?federation=${FEDERATION}&autojoin=1&backend=cpu`);
  await expect(tab.getByTestId('device-status')).toHaveAttribute('data-state', 'waiting-for-round', { timeout: 90_000 });

  const data = await writeSiloData(SILO_EXAMPLES);
  const bin = join(process.cwd(), 'apps/coordinator/bin/flockctl.mjs');
  const silo: ChildProcess = spawn(process.execPath, [bin, 'client', '--server', baseURL!, '--federation', FEDERATION, '--data', data, '--backend', 'cpu'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let siloLog = '';
  silo.stdout!.on('data', (c: Buffer) => (siloLog += c.toString()));
  silo.stderr!.on('data', (c: Buffer) => (siloLog += c.toString()));
  try {
    const devices = () => fetchDevices(request, FEDERATION);
    await expect.poll(async () => (await devices()).filter((d) => d.connected && d.state === 'waiting-for-round').length, { timeout: 60_000 }).toBe(2);
    expect((await devices()).map((d) => d.examples).sort()).toEqual([200, SILO_EXAMPLES]);

    expect((await request.post(`/api/federations/${FEDERATION}/start`, { headers: adminHeaders, data: {} })).ok()).toBe(true);
    await expect.poll(async () => (await fetchRounds(request, FEDERATION)).length, { timeout: 90_000, intervals: [2_000] }).toBe(2);
    for (const r of await fetchRounds(request, FEDERATION)) {
      expect(r.participants).toBe(2);
      expect(r.examples).toBe(200 + SILO_EXAMPLES);
    }
    expect((await devices()).map((d) => d.roundsContributed)).toEqual([2, 2]);
    await expect(tab.getByTestId('rounds-done')).toHaveText('2');
    expect(siloLog).toMatch(/rounds done 2/);
  } finally {
    silo.kill();
  }
});
