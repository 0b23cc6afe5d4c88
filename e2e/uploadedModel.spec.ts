import { expect, test } from '@playwright/test';
import { saveInMemory } from '@flock/fl-core';
import * as tf from '@tensorflow/tfjs';
import { adminHeaders, fetchRounds } from './support/coordinator.ts';

const FEDERATION = 'uploaded-mlp';
const MNIST = { kind: 'mnist', partition: 'iid', examplesPerDevice: 300, numDevices: 1, seed: 9 };

/** A small MNIST MLP (784-16-10, logits) as model.save() writes it, ready for POST /api/models. */
async function savedMlp(): Promise<Record<string, unknown>> {
  await tf.setBackend('cpu');
  const model = tf.sequential({
    layers: [tf.layers.flatten({ inputShape: [28, 28, 1] }), tf.layers.dense({ units: 16, activation: 'relu' }), tf.layers.dense({ units: 10 })],
  });
  const { modelJson, weights } = await saveInMemory(model);
  model.dispose();
  return { name: 'e2e mlp', dataset: MNIST, modelJson, weights: { 'weights.bin': Buffer.from(weights).toString('base64') } };
}

test('a WebGPU tab trains a round of a federation on an uploaded model', async ({ browser, request }) => {
  const uploaded = await request.post('/api/models', { headers: adminHeaders, data: await savedMlp() });
  expect(uploaded.status()).toBe(201);
  const { id } = (await uploaded.json()) as { id: string };
  const created = await request.post('/api/federations', {
    headers: adminHeaders,
    data: {
      id: FEDERATION,
      name: 'uploaded MLP',
      model: id,
      dataset: MNIST,
      // 30 steps: enough for the round's model to beat chance clearly (5 steps at lr 0.05 sometimes did not).
      training: { epochs: 1, batchSize: 10, learningRate: 0.1 },
      maxRounds: 1,
      minDevices: 1,
      clientsPerRound: 'all',
      deadline: { mode: 'fixed', ms: 120_000 },
      quorum: 1,
      evalExamples: 500,
      modelSeed: 1,
    },
  });
  expect(created.status(), await created.text()).toBe(201);
  expect((await request.post(`/api/federations/${FEDERATION}/start`, { headers: adminHeaders, data: {} })).status()).toBe(200);

  const context = await browser.newContext();
  const page = await context.newPage();
  const topologyRequests: string[] = [];
  // The context sees the training worker's requests too.
  context.on('request', (req) => {
    if (req.url().includes(`/api/models/${id}/model.json`)) topologyRequests.push(req.url());
  });
  page.on('pageerror', (err) => console.log(`[tab] page error: ${err.message}`));
  await page.goto(`/?federation=${FEDERATION}&autojoin=1&backend=webgpu`);
  await expect(page.getByTestId('backend')).toHaveText(/^webgpu/, { timeout: 90_000 });

  await expect.poll(async () => (await fetchRounds(request, FEDERATION)).length, { timeout: 120_000 }).toBe(1);
  const [round] = await fetchRounds(request, FEDERATION);
  expect(round).toMatchObject({ round: 1, participants: 1, examples: 300 });
  expect(round!.accuracy).toBeGreaterThan(0.3);
  // The worker built the model from the upload's topology.
  expect(topologyRequests.length).toBeGreaterThan(0);
});
