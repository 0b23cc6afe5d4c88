import type { FederationConfig } from '@flock/fl-core';
import { testFederationConfig } from '@flock/fl-core/testing';
import { expect, test, type APIRequestContext } from '@playwright/test';
import { adminHeaders, fetchRounds } from './support/coordinator.ts';

const ROUNDS = 50;

async function createFederation(request: APIRequestContext, id: string, model: FederationConfig['model'], maxRounds: number): Promise<void> {
  const created = await request.post('/api/federations', {
    headers: adminHeaders,
    data: testFederationConfig({
      id,
      model,
      dataset: { kind: 'mnist', partition: 'iid', examplesPerDevice: 20, numDevices: 1, seed: 3 },
      maxRounds,
      deadline: { mode: 'fixed', ms: 20_000 },
      modelSeed: 3,
    }),
  });
  expect(created.status(), await created.text()).toBe(201);
}

test("the backend chooser times the federation's model, and wasm only for a dense one", async ({ browser, request }) => {
  await createFederation(request, 'chooser-cnn', 'mnist-cnn-small', 1);
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto('/?federation=chooser-cnn');
  const reason = page.getByTestId('backend-reason');
  await expect(reason).toContainText('fastest for mnist-cnn-small on this device: ', { timeout: 90_000 });
  await expect(reason).toContainText("wasm not measured (it cannot train this model's convolutions)");
  await context.close();
});

test(`a tab trains ${ROUNDS} rounds on WebGPU with flat tensor count and GPU bytes from round 5 on`, async ({ browser, request }) => {
  test.setTimeout(8 * 60_000);
  await createFederation(request, 'memory-flat', 'mnist-mlp', ROUNDS);
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto('/?federation=memory-flat&backend=webgpu&autojoin=1');
  await expect(page.getByTestId('backend')).toHaveText(/^webgpu/, { timeout: 90_000 });
  await expect(page.getByTestId('training-engine')).toHaveText("Training on Flock's WebGPU engine.");
  await expect(page.getByTestId('device-status')).toHaveAttribute('data-state', 'waiting-for-round', { timeout: 90_000 });
  expect((await request.post('/api/federations/memory-flat/start', { headers: adminHeaders, data: {} })).ok()).toBe(true);

  // What the tab shows after each round it finished: the worker's tensor count and GPU bytes.
  const seen = new Map<number, { tensors: string; gpuBytes: string }>();
  const startedAt = Date.now();
  await expect
    .poll(
      async () => {
        const [done, tensors, gpuBytes] = await Promise.all(
          ['rounds-done', 'num-tensors', 'gpu-bytes'].map(async (id) => (await page.getByTestId(id).textContent()) ?? ''),
        );
        // The tensor count and GPU bytes update when a round's training ends, before its rounds-done count.
        const round = Number(done);
        if (round >= 5 && !seen.has(round)) seen.set(round, { tensors: tensors!, gpuBytes: gpuBytes! });
        return round;
      },
      { timeout: 6 * 60_000, intervals: [100] },
    )
    .toBe(ROUNDS);
  const wallSeconds = (Date.now() - startedAt) / 1000;
  // The tab counts a round done once its update is accepted; the coordinator stores the round after it has aggregated and scored it.
  await expect.poll(async () => (await fetchRounds(request, 'memory-flat')).length, { timeout: 30_000 }).toBe(ROUNDS);
  expect(seen.size).toBeGreaterThan(20);
  const first = seen.get(Math.min(...seen.keys()))!;
  expect(Number(first.tensors)).toBeGreaterThan(0);
  expect(Number(first.gpuBytes)).toBeGreaterThan(0);
  for (const [round, sample] of seen) expect(sample, `round ${round}`).toEqual(first);
  console.log(
    `${ROUNDS} rounds in ${wallSeconds.toFixed(1)} s; ${seen.size} rounds sampled from 5 on: ${first.tensors} tensors, ${first.gpuBytes} GPU bytes throughout`,
  );
  await context.close();
});
