import { decodeDataset, protocolDocument, type DeviceInfo, type FederationConfig, type FederationSummary } from '@flock/fl-core';
import { testFederationConfig } from '@flock/fl-core/testing';
import { MnistSource } from '../evaluation/mnistSource.ts';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { connectDevice, sayHello } from '../testing/deviceSockets.ts';
import { useTestCoordinator } from '../testing/testCoordinator.ts';

const TOKEN = 'federation-api-test-admin-token';
const env = useTestCoordinator('flock-federation-api-', TOKEN);

const CONFIG: FederationConfig = testFederationConfig({
  id: 'clothes',
  name: 'Fashion-MNIST CNN',
  model: 'mnist-cnn-small',
  dataset: { kind: 'fashion-mnist', partition: 'iid', examplesPerDevice: 100, numDevices: 3, seed: 4 },
  training: { epochs: 1, batchSize: 16, learningRate: 0.01, optimizer: 'adam' },
  maxRounds: 3,
  minDevices: 2,
  quorum: 0.5,
  evalExamples: 500,
  modelSeed: 3,
});

async function api<T = Record<string, unknown>>(method: string, path: string, body?: unknown, token: string | null = TOKEN) {
  const res = await fetch(`${env.coordinator.url}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // CSV, metrics: the text is the answer
  }
  return { status: res.status, body: json as T, text, type: res.headers.get('content-type') ?? '' };
}

describe('federations over REST', () => {
  it('creates a Fashion-MNIST federation and refuses a bad config naming the field', async () => {
    const created = await api<FederationSummary>('POST', '/api/federations', CONFIG);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      status: 'idle',
      round: 0,
      archived: false,
      config: { dataset: { kind: 'fashion-mnist' }, training: { optimizer: 'adam' } },
    });

    const bad = await api('POST', '/api/federations', { ...CONFIG, id: 'bad', training: { ...CONFIG.training, learningRate: -1, optimizer: 'rmsprop' } });
    expect(bad.status).toBe(400);
    expect(bad.body.reason).toMatch(/training\.learningRate: .*/);
    expect(bad.body.reason).toMatch(/training\.optimizer: /);
    expect((await api('POST', '/api/federations', CONFIG)).status).toBe(409);
  });

  it('creates a securely aggregated federation, and refuses one with a strategy that needs every update, saying why', async () => {
    const secureAggregation = { enabled: true, neighbours: 3, threshold: 2 };
    const secure = await api<FederationSummary>('POST', '/api/federations', { ...CONFIG, id: 'clothes-secure', secureAggregation });
    expect(secure.status).toBe(201);
    expect(secure.body.config.secureAggregation).toEqual(secureAggregation);
    // Stopped and archived, so that the listings below see only the federations they are about.
    expect((await api('POST', '/api/federations/clothes-secure/stop')).status).toBe(200);
    expect((await api('POST', '/api/federations/clothes-secure/archive')).status).toBe(200);

    const median = await api('POST', '/api/federations', { ...CONFIG, id: 'clothes-median', secureAggregation, strategy: { name: 'median', options: {} } });
    expect(median.status).toBe(400);
    expect(median.body.reason).toBe(
      "strategy median needs every device's update in the clear; secure aggregation shows the coordinator only their sum: choose FedAvg, FedAvgM or a FedOpt strategy, or turn secure aggregation off",
    );
  });

  it('edits an idle federation, naming unknown fields and refusing an id change', async () => {
    const edited = await api<FederationSummary>('PATCH', '/api/federations/clothes', {
      name: 'Clothes',
      training: { epochs: 2, batchSize: 8, learningRate: 0.02 },
    });
    expect(edited.status).toBe(200);
    expect(edited.body.config).toMatchObject({ name: 'Clothes', training: { epochs: 2, batchSize: 8 }, model: 'mnist-cnn-small' });
    expect((await api<FederationSummary>('GET', '/api/federations/clothes')).body.config.name).toBe('Clothes');

    const unknown = await api('PATCH', '/api/federations/clothes', { colour: 'red' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.reason).toMatch(/colour: not a federation config field/);
    const invalid = await api('PATCH', '/api/federations/clothes', { maxRounds: 0 });
    expect(invalid.status).toBe(400);
    expect(invalid.body.reason).toMatch(/^federation config: maxRounds: /);
    const renamed = await api('PATCH', '/api/federations/clothes', { id: 'other' });
    expect(renamed.status).toBe(400);
    expect(renamed.body.reason).toMatch(/id cannot change/);

    // An edit is held to what creation is held to: a robust strategy in async (FedBuff) mode is refused either way.
    const robustAsync = { mode: { kind: 'async', bufferSize: 2, maxStaleness: 2 }, strategy: { name: 'median', options: {} } };
    const createdAsync = await api('POST', '/api/federations', { ...CONFIG, id: 'clothes-async', ...robustAsync });
    expect(createdAsync.status).toBe(400);
    const editedAsync = await api('PATCH', '/api/federations/clothes', robustAsync);
    expect(editedAsync.status).toBe(400);
    expect(editedAsync.body.reason).toBe(createdAsync.body.reason);
    expect(editedAsync.body.reason).toMatch(/^strategy: strategy median is not supported in async \(FedBuff\) mode/);
    expect((await api<FederationSummary>('GET', '/api/federations/clothes')).body.config.mode).toEqual({ kind: 'sync' });
  });

  it('gives a device of the Fashion-MNIST federation a shard of Fashion-MNIST training images, and then refuses a dataset change', async () => {
    const socket = connectDevice(env.coordinator.url);
    try {
      const reply = await sayHello(socket, 'fashion-device-1', 'clothes');
      if (!reply.ok || reply.dataset.kind !== 'mnist-shard') throw new Error(`hello refused or without a shard: ${JSON.stringify(reply)}`);
      const response = await fetch(`${env.coordinator.url}${reply.dataset.shardPath}`, { headers: { authorization: `Bearer ${reply.credential}` } });
      const shard = decodeDataset(new Uint8Array(await response.arrayBuffer()));
      expect(shard.count).toBe(100);
      // Every image is one of Fashion-MNIST's training images, with its label.
      const train = await new MnistSource().get('train', 'fashion-mnist');
      const keys = new Set(
        Array.from({ length: train.count }, (_, i) => `${train.labels[i]}:${Buffer.from(train.pixels.subarray(i * 784, (i + 1) * 784)).toString('base64')}`),
      );
      for (let i = 0; i < shard.count; i++)
        expect(keys.has(`${shard.labels[i]}:${Buffer.from(shard.pixels.subarray(i * 784, (i + 1) * 784)).toString('base64')}`)).toBe(true);

      const edit = await api('PATCH', '/api/federations/clothes', {
        dataset: { kind: 'mnist', partition: 'iid', examplesPerDevice: 100, numDevices: 3, seed: 4 },
      });
      expect(edit.status).toBe(409);
      expect(edit.body.reason).toMatch(/dataset cannot change once devices joined \(1 hold data of it\)/);
      // Other fields may change; the connected device stays connected to the edited federation.
      const renamed = await api<FederationSummary>('PATCH', '/api/federations/clothes', { minDevices: 1 });
      expect(renamed.status).toBe(200);
      expect(renamed.body).toMatchObject({ config: { minDevices: 1 }, devices: { registered: 1, connected: 1 } });
      expect((await api('PATCH', '/api/federations/clothes', { minDevices: 2 })).status).toBe(200);
    } finally {
      socket.disconnect();
    }
  }, 60_000);

  it('clones a federation under a new id from round 0, and refuses an id that exists', async () => {
    const cloned = await api<FederationSummary>('POST', '/api/federations/clothes/clone', { id: 'clothes-2' });
    expect(cloned.status).toBe(201);
    expect(cloned.body).toMatchObject({ status: 'idle', round: 0, config: { id: 'clothes-2', name: 'Clothes (copy)', training: { epochs: 2 } } });
    expect((await api('POST', '/api/federations/clothes/clone', { id: 'demo' })).status).toBe(409);
    const noId = await api('POST', '/api/federations/clothes/clone', {});
    expect(noId.status).toBe(400);
    expect(noId.body.reason).toMatch(/^clone: id: /);
  });

  it('refuses to edit a federation once started, and to archive it while it runs', async () => {
    expect((await api('POST', '/api/federations/clothes-2/start')).status).toBe(200);
    const edit = await api('PATCH', '/api/federations/clothes-2', { name: 'late' });
    expect(edit.status).toBe(409);
    expect(edit.body.reason).toMatch(/has started .*clone it instead/);
    const archive = await api('POST', '/api/federations/clothes-2/archive');
    expect(archive.status).toBe(409);
    expect(archive.body.reason).toMatch(/running .*pause or stop it/);
  });

  it('archives a stopped federation: gone from the default list, kept with its data', async () => {
    expect((await api('POST', '/api/federations/clothes-2/stop')).status).toBe(200);
    expect((await api<FederationSummary>('POST', '/api/federations/clothes-2/archive')).body.archived).toBe(true);
    const ids = (list: FederationSummary[]) => list.map((f) => f.config.id);
    expect(ids((await api<FederationSummary[]>('GET', '/api/federations')).body)).toEqual(['demo', 'clothes']);
    const all = (await api<FederationSummary[]>('GET', '/api/federations?archived=true')).body;
    expect(ids(all)).toEqual(['demo', 'clothes', 'clothes-secure', 'clothes-2']);
    expect(all.find((f) => f.config.id === 'clothes-2')).toMatchObject({ archived: true, status: 'stopped' });
    expect((await api('GET', '/api/federations/clothes-2/model.flkw', undefined, null)).status).toBe(200);
    expect((await api('GET', '/api/federations?archived=maybe')).status).toBe(400);
    expect((await api<FederationSummary>('POST', '/api/federations/clothes-2/unarchive')).body.archived).toBe(false);
  });

  it('refuses a clone whose copied name would be too long, saying so (no server error)', async () => {
    const longName = 'n'.repeat(200);
    expect((await api('POST', '/api/federations', { ...CONFIG, id: 'long-name', name: longName })).status).toBe(201);
    const copied = await api('POST', '/api/federations/long-name/clone', { id: 'long-name-2' });
    expect(copied.status).toBe(400);
    expect(copied.body.reason).toMatch(/^federation config: name: /);
    expect((await api('POST', '/api/federations/long-name/clone', { id: 'long-name-2', name: 'Short' })).status).toBe(201);
  });

  it('exports rounds as JSON and CSV', async () => {
    const json = await api<unknown[]>('GET', '/api/federations/clothes/rounds?format=json');
    expect(json.body).toEqual([]);
    const csv = await api('GET', '/api/federations/clothes/rounds?format=csv');
    expect(csv.type).toMatch(/text\/csv/);
    expect(csv.text.split('\r\n')[0]).toBe(
      'round,participants,examples,accuracy,loss,trainLoss,trainAccuracy,durationMs,bytesUp,bytesDown,abandonedBytesUp,abandonedBytesDown,rejected,completedAt,closedBy,deadlineMs,extended,meanStaleness',
    );
    const bad = await api('GET', '/api/federations/clothes/rounds?format=xml');
    expect(bad.status).toBe(400);
    expect(bad.body.reason).toMatch(/format/);
  });

  it('serves Prometheus metrics to a token holder only', async () => {
    expect((await api('GET', '/metrics', undefined, null)).status).toBe(401);
    const metrics = await api('GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.type).toMatch(/text\/plain/);
    for (const name of [
      'flock_devices_connected',
      'flock_rounds_completed_total',
      'flock_round_duration_seconds',
      'flock_bytes_up_total',
      'flock_update_rejections_total',
    ]) {
      expect(metrics.text).toContain(`# TYPE ${name}`);
    }
    expect(metrics.text).toContain('flock_devices_connected{federation="clothes"} 0');
  });
});

describe('uploaded models over REST', () => {
  /** A tfjs LayersModel as model.save() writes it: model.json plus one weight file, base64 in the upload. */
  async function upload(layers: () => tf.layers.Layer[], name: string) {
    const model = tf.sequential({ layers: layers() });
    let body: Record<string, unknown> = {};
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        body = {
          name,
          dataset: { kind: 'mnist', partition: 'iid', examplesPerDevice: 600, seed: 1 },
          modelJson: { modelTopology: a.modelTopology, weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: a.weightSpecs }] },
          weights: { 'group1-shard1of1.bin': Buffer.from(a.weightData as ArrayBuffer).toString('base64') },
        };
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    model.dispose();
    return api<Record<string, unknown>>('POST', '/api/models', body);
  }

  it('stores a model that fits the dataset and serves it to tf.loadLayersModel; refuses one that does not, naming the shapes', async () => {
    const good = await upload(() => [tf.layers.flatten({ inputShape: [28, 28, 1] }), tf.layers.dense({ units: 10 })], 'linear');
    expect(good.status).toBe(201);
    expect(good.body).toMatchObject({ name: 'linear', inputShape: [28, 28, 1], numClasses: 10, parameters: 7850, id: expect.stringMatching(/^uploaded-/) });
    const loaded = await tf.loadLayersModel(`${env.coordinator.url}/api/models/${String(good.body.id)}/model.json`);
    expect(loaded.countParams()).toBe(7850);
    loaded.dispose();
    expect((await api<unknown[]>('GET', '/api/models')).body).toHaveLength(1);

    const bad = await upload(() => [tf.layers.flatten({ inputShape: [32, 32, 3] }), tf.layers.dense({ units: 5 })], 'cifar-ish');
    expect(bad.status).toBe(400);
    expect(bad.body.reason).toBe(
      'model upload: the model takes [batch, 32, 32, 3] and gives [batch, 5]; the dataset needs it to take [batch, 28, 28, 1] (28x28x1 examples) and give [batch, 10] (10 classes)',
    );
    const noToken = await api('POST', '/api/models', {}, null);
    expect(noToken.status).toBe(401);
  });
});

describe('the published protocol and the platform a device names', () => {
  it('serves the protocol document to anyone', async () => {
    const res = await api('GET', '/api/protocol', undefined, null);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(protocolDocument());
  });

  it("keeps the platform a device's hello names, and lists it with the devices", async () => {
    expect((await api('POST', '/api/federations', testFederationConfig({ id: 'platforms', minDevices: 2 }))).status).toBe(201);
    const python = connectDevice(env.coordinator.url);
    const older = connectDevice(env.coordinator.url);
    try {
      expect(await sayHello(python, 'python-silo-1', 'platforms', { platform: 'python', backend: 'pytorch' })).toMatchObject({ ok: true });
      expect(await sayHello(older, 'older-tab-1', 'platforms', { backend: 'webgl' })).toMatchObject({ ok: true });
      const devices = new Map((await api<DeviceInfo[]>('GET', '/api/federations/platforms/devices')).body.map((d) => [d.deviceId, d]));
      expect(devices.get('python-silo-1')).toMatchObject({ platform: 'python', backend: 'pytorch' });
      expect(devices.get('older-tab-1')).not.toHaveProperty('platform');
    } finally {
      python.disconnect();
      older.disconnect();
    }
  });
});
