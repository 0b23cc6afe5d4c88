import { readWeights, saveInMemory, uploadedTopologyFrom, type FederationSummary, type RoundRecord } from '@flock/fl-core';
import { DeviceSession } from '@flock/fl-core/device';
import { InProcessTrainer, MemoryShards, nodeAdapters } from '@flock/fl-core/node';
import { testFederationConfig } from '@flock/fl-core/testing';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { restCall } from '../testing/restCalls.ts';
import { until, useTestCoordinator } from '../testing/testCoordinator.ts';

const TOKEN = 'uploaded-model-federation-test-admin-token';
const env = useTestCoordinator('flock-uploaded-model-', TOKEN);
const MNIST = { kind: 'mnist', partition: 'iid', examplesPerDevice: 60, numDevices: 2, seed: 5 } as const;

const api = <T = Record<string, unknown>>(method: string, path: string, body?: unknown) => restCall<T>(env.coordinator.url, TOKEN, method, path, body);

/** A small MNIST MLP (784-16-10, logits), saved as tfjs writes it and uploaded; resolves to its id and its weights. */
async function uploadMlp(): Promise<{ id: string; weights: Float32Array }> {
  const model = tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape: [28, 28, 1] }),
      tf.layers.dense({ units: 16, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 11 }) }),
      tf.layers.dense({ units: 10, kernelInitializer: tf.initializers.glorotUniform({ seed: 12 }) }),
    ],
  });
  const { modelJson, weights: file } = await saveInMemory(model);
  const body = { name: 'tiny mlp', dataset: MNIST, modelJson, weights: { 'weights.bin': Buffer.from(file).toString('base64') } };
  const weights = await readWeights(model);
  model.dispose();
  const uploaded = await api<{ id: string }>('POST', '/api/models', body);
  expect(uploaded.status).toBe(201);
  return { id: uploaded.body.id, weights };
}

function config(id: string, model: string, dataset: unknown = MNIST): Record<string, unknown> {
  const rest = testFederationConfig({
    id,
    name: `uploaded ${id}`,
    training: { epochs: 1, batchSize: 10, learningRate: 0.05 },
    evalExamples: 200,
    belowQuorum: 'extend-once',
  });
  return { ...rest, model, dataset };
}

describe('a federation on an uploaded model', () => {
  it('refuses an unknown model id, a name that is neither, and an upload that does not fit the dataset, with the reason, on creation and edit', async () => {
    const { id } = await uploadMlp();
    const unknown = await api('POST', '/api/federations', config('ghost', 'uploaded-0123456789ab'));
    expect(unknown).toEqual({
      status: 400,
      body: { ok: false, reason: 'model: there is no uploaded model "uploaded-0123456789ab" (GET /api/models lists them)' },
    });

    const neither = await api<{ reason: string }>('POST', '/api/federations', config('neither', 'resnet-50'));
    expect(neither.status).toBe(400);
    expect(neither.body.reason).toMatch(/model: a model is a zoo name \(mnist-mlp, .*\) or an uploaded model id \(uploaded-0123456789ab\)/);

    const images = { kind: 'device', schema: { type: 'image', width: 8, height: 8, channels: 3, classes: ['cat', 'dog', 'fox'] }, testFraction: 0.2 };
    const misfit = await api<{ reason: string }>('POST', '/api/federations', config('misfit', id, images));
    expect(misfit.status).toBe(400);
    expect(misfit.body.reason).toBe(
      `model ${id} ("tiny mlp") does not fit the federation's dataset: the model takes [batch, 28, 28, 1] and gives [batch, 10]; the dataset needs it to take [batch, 8, 8, 3] (8x8x3 examples) and give [batch, 3] (3 classes)`,
    );
    expect((await api<FederationSummary[]>('GET', '/api/federations')).body.map((f) => f.config.id)).not.toContain('misfit');

    // Edits are checked the same way.
    expect((await api('POST', '/api/federations', config('fits', id))).status).toBe(201);
    expect(await api('PATCH', '/api/federations/fits', { model: 'uploaded-0123456789ab' })).toEqual(unknown);
    expect((await api<FederationSummary>('PATCH', '/api/federations/fits', { model: 'mnist-mlp' })).body.config?.model).toBe('mnist-mlp');
  });

  it("starts from the upload's weights, serves its topology, and a headless device trains a round that the coordinator evaluates", async () => {
    const { id, weights } = await uploadMlp();
    expect((await api('POST', '/api/federations', config('custom', id))).status).toBe(201);

    // Round 0 is the uploaded model itself, served for tf.loadLayersModel with the upload's topology.
    const served = await tf.loadLayersModel(`${env.coordinator.url}/api/federations/custom/model`);
    expect(served.layers.map((l) => l.getClassName())).toEqual(['Flatten', 'Dense', 'Dense']);
    expect(await readWeights(served)).toEqual(weights);
    served.dispose();

    const url = env.coordinator.url;
    const trainer = new InProcessTrainer(
      (shardId) => shards.get(shardId),
      () => null,
      uploadedTopologyFrom(url),
    );
    const shards = new MemoryShards(url);
    const session = new DeviceSession(
      { deviceId: 'uploaded-device-1', federationId: 'custom', backend: 'cpu', adapter: null },
      nodeAdapters(url, shards, trainer),
    );
    session.start();
    try {
      await until(
        async () => ((await api<FederationSummary>('GET', '/api/federations/custom')).body.devices?.connected ? true : undefined),
        'the device to join',
      );
      expect((await api('POST', '/api/federations/custom/start', {})).status).toBe(200);
      const [round] = await until(async () => {
        const rounds = (await api<RoundRecord[]>('GET', '/api/federations/custom/rounds')).body;
        return rounds.length > 0 ? rounds : undefined;
      }, 'round 1 to be stored');
      expect(round).toMatchObject({ round: 1, participants: 1, examples: 60, rejected: 0 });
      expect(round!.accuracy).toBeGreaterThan(0.1);
    } finally {
      session.close();
      trainer.dispose();
    }
    const trained = await tf.loadLayersModel(`${env.coordinator.url}/api/federations/custom/model`);
    expect(await readWeights(trained)).not.toEqual(weights);
    trained.dispose();
  }, 120_000);
});
