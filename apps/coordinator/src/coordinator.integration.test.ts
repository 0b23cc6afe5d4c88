import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer, type Server as TcpServer, type Socket as TcpSocket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  PROTOCOL_VERSION,
  decodeDataset,
  decodeWeights,
  encodeWeights,
  readWeights,
  uplinkCodec,
  type Ack,
  type DeviceInfo,
  type DeviceRoundBytes,
  type EventLogEntry,
  type ConsoleSnapshot,
  type FederationSummary,
  type HelloReply,
  type Page,
  type ParsedRoundStartMessage,
  type RoundAbandonedMessage,
  type RoundRecord,
  type WeightsManifest,
} from '@flock/fl-core';
import { testFederationConfig } from '@flock/fl-core/testing';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCoordinator, type RunningCoordinator } from './coordinator.ts';
import { connectDevice, sayHello } from './testing/deviceSockets.ts';
import { until } from './testing/testCoordinator.ts';
import { seedDatabase } from './testing/seededDatabase.ts';

const TOKEN = 'integration-test-admin-token';
const auth = { authorization: `Bearer ${TOKEN}` };

let dataDir: string;
let coordinator: RunningCoordinator;
const sockets: Socket[] = [];

function start(): Promise<RunningCoordinator> {
  return startCoordinator({ port: 0, host: '127.0.0.1', dataDir, adminToken: TOKEN, logLevel: 'silent' });
}

/** The device credentials hellos returned, by device id: a bound device id connects with its own. */
const credentials = new Map<string, string>();

function device(deviceId?: string): Socket {
  const token = deviceId === undefined ? undefined : credentials.get(deviceId);
  const s = connectDevice(coordinator.url, token ? { auth: { token } } : {});
  sockets.push(s);
  return s;
}

function nextEvent<T>(socket: Socket, event: string): Promise<T> {
  return new Promise((resolve) => socket.once(event, resolve));
}

async function api<T>(path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(`${coordinator.url}${path}`, init);
  return { status: res.status, body: (await res.json()) as T };
}

async function hello(socket: Socket, deviceId: string): Promise<HelloReply> {
  const reply = await sayHello(socket, deviceId, 'demo');
  if (reply.ok && reply.credential) credentials.set(deviceId, reply.credential);
  return reply;
}

const bearer = (deviceId: string) => ({ authorization: `Bearer ${credentials.get(deviceId)}` });

function smallDelta(size: number, scale: number): Float32Array {
  const d = new Float32Array(size);
  for (let i = 0; i < size; i++) d[i] = Math.sin(i * 12.9898 + scale) * 0.5 * 0.01;
  return d;
}

function update(round: number, payload: Uint8Array, numExamples = 600) {
  return { federationId: 'demo', round, numExamples, metrics: { loss: 0.8, accuracy: 0.7 }, payload };
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  dataDir = await mkdtemp(join(tmpdir(), 'flock-coordinator-'));
  await seedDatabase(dataDir);
  coordinator = await start();
});

afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await coordinator?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('coordinator', () => {
  let manifest: WeightsManifest;
  let initialGlobal: Float32Array;
  let expectedGlobal: Float32Array;

  it('runs a federated round end to end and refuses bad updates with reasons', async () => {
    const a = device();
    const b = device();

    expect(await a.emitWithAck('hello', { protocolVersion: 999, deviceId: 'device-aaaa', federationId: 'demo', backend: 'cpu', adapter: null })).toEqual({
      ok: false,
      reason: expect.stringContaining('protocol version 999'),
    });
    const replyA = await hello(a, 'device-aaaa');
    const replyB = await hello(b, 'device-bbbb');
    if (!replyA.ok || !replyB.ok || replyA.dataset.kind !== 'mnist-shard' || replyB.dataset.kind !== 'mnist-shard') {
      throw new Error('hello refused or without a shard');
    }
    expect(replyA.dataset.shardId).not.toBe(replyB.dataset.shardId);

    // Shards: 600 examples each, no example in both.
    const [shardA, shardB] = await Promise.all(
      [replyA.dataset, replyB.dataset].map(async (d, i) =>
        decodeDataset(
          new Uint8Array(await (await fetch(`${coordinator.url}${d.shardPath}`, { headers: bearer(i === 0 ? 'device-aaaa' : 'device-bbbb') })).arrayBuffer()),
        ),
      ),
    );
    expect(shardA!.count).toBe(600);
    expect(shardB!.count).toBe(600);
    const key = (d: typeof shardA, i: number) => `${d!.labels[i]}:${Buffer.from(d!.pixels.subarray(i * 784, (i + 1) * 784)).toString('base64')}`;
    const inA = new Set(Array.from({ length: 600 }, (_, i) => key(shardA, i)));
    expect(Array.from({ length: 600 }, (_, i) => key(shardB, i)).filter((k) => inA.has(k))).toEqual([]);
    expect((await fetch(`${coordinator.url}/api/federations/demo/shard/device-unknown`)).status).toBe(401);

    // Start: refused without the token, accepted with it.
    const startA = nextEvent<ParsedRoundStartMessage>(a, 'round:start');
    const startB = nextEvent<ParsedRoundStartMessage>(b, 'round:start');
    expect((await api<{ reason: string }>('/api/federations/demo/start', { method: 'POST' })).status).toBe(401);
    const started = await api<FederationSummary>('/api/federations/demo/start', { method: 'POST', headers: auth });
    expect(started.status).toBe(200);
    expect(started.body.status).toBe('training');

    const [roundA, roundB] = await Promise.all([startA, startB]);
    expect(roundA.round).toBe(1);
    expect(roundB.round).toBe(1);
    expect(roundA.weights).toBeInstanceOf(Uint8Array);
    const decoded = decodeWeights(roundA.weights);
    expect(decoded.kind).toBe('weights');
    // The demo is a new federation: int8 up, float16 down.
    expect(decoded.codec).toBe('float16');
    expect(roundA.codec).toEqual({ uplink: 'int8' });
    const encode = (m: WeightsManifest, values: Float32Array) => encodeWeights(m, values, 'delta', uplinkCodec(roundA.codec));
    manifest = decoded.manifest;
    initialGlobal = decoded.values;
    const size = initialGlobal.length;

    const reasonOf = async (msg: unknown) => {
      const ack: Ack = await a.emitWithAck('update', msg);
      expect(ack.ok).toBe(false);
      return ack.ok ? '' : ack.reason;
    };
    expect(await reasonOf('garbage')).toMatch(/expected object/i);
    const protocolError = nextEvent<{ event: string; reason: string }>(a, 'protocol:error');
    a.emit('bogus', 1);
    expect(await protocolError).toEqual({ event: 'bogus', reason: expect.stringContaining('unknown event "bogus"') });
    const noAck = nextEvent<{ event: string; reason: string }>(a, 'protocol:error');
    a.emit('status', { state: 'dancing' });
    expect(await noAck).toMatchObject({ event: 'status', reason: expect.stringContaining('state') });
    const nan = smallDelta(size, 1);
    nan[10] = NaN;
    expect(await reasonOf(update(1, encode(manifest, nan)))).toMatch(/is NaN/);
    expect(await reasonOf(update(1, encodeWeights(manifest, smallDelta(size, 1), 'delta')))).toBe(
      'payload is encoded as float32; this federation takes int8 updates',
    );
    expect(await reasonOf(update(1, new Uint8Array(3_000_000)))).toMatch(/exceeds the \d+-byte limit/);
    expect(await reasonOf(update(5, encode(manifest, smallDelta(size, 1))))).toBe('update for round 5 but round 1 is running');
    const wrongManifest = manifest.map((t, i) => (i === 0 ? { ...t, shape: [784, 100] } : t));
    const wrongShape = encode(wrongManifest, new Float32Array(size - 784 * 100));
    expect(await reasonOf(update(1, wrongShape))).toMatch(/tensor 0 is .*\[784x100\], expected .*\[784x200\]/);

    const deltaA = smallDelta(size, 1);
    const deltaB = smallDelta(size, 2);
    const payloadA = encode(manifest, deltaA);
    const payloadB = encode(manifest, deltaB);
    expect(await a.emitWithAck('update', update(1, payloadA))).toEqual({ ok: true });
    expect(await a.emitWithAck('update', update(1, payloadA))).toEqual({ ok: true }); // duplicate: not folded again
    const round2A = nextEvent<ParsedRoundStartMessage>(a, 'round:start');
    expect(await b.emitWithAck('update', update(1, payloadB))).toEqual({ ok: true });

    const rounds = await until(async () => {
      const r = await api<RoundRecord[]>('/api/federations/demo/rounds', { headers: auth });
      return r.body.length > 0 ? r.body : undefined;
    }, 'round 1 to be recorded');
    expect(rounds[0]).toMatchObject({ round: 1, participants: 2, examples: 1200, rejected: 5 });
    expect(rounds[0]!.accuracy).toEqual(expect.any(Number));
    expect(rounds[0]!.loss).toEqual(expect.any(Number));
    expect(rounds[0]!.bytesUp).toBe(2 * payloadA.byteLength);
    expect(rounds[0]!.bytesDown).toBe(2 * roundA.weights.byteLength);
    expect((await round2A).round).toBe(2);

    // A late retry of an accepted update is still acknowledged, and changes nothing.
    expect(await a.emitWithAck('update', update(1, payloadA))).toEqual({ ok: true });

    // The coordinator folds what the payloads carry into its float32 model; devices saw it in float16.
    const [sentA, sentB] = [payloadA, payloadB].map((p) => decodeWeights(p, manifest).values);
    expectedGlobal = initialGlobal.map((g, i) => g + (sentA![i]! + sentB![i]!) / 2);
    const bin = new Float32Array(await (await fetch(`${coordinator.url}/api/federations/demo/model/weights.bin`)).arrayBuffer());
    expect(bin.length).toBe(size);
    for (let i = 0; i < size; i += 997) expect(bin[i]).toBeCloseTo(expectedGlobal[i]!, 4);

    const events = await api<EventLogEntry[]>('/api/federations/demo/events', { headers: auth });
    expect(events.body.filter((e) => e.kind === 'update-rejected')).toHaveLength(6);
  });

  it('serves a long-polling client (Socket.IO default transport) without answering it with the web client', async () => {
    const polling = connect(coordinator.url, { transports: ['polling'], forceNew: true });
    sockets.push(polling);
    await nextEvent(polling, 'connect');
    const reply = await polling.timeout(5_000).emitWithAck('hello', { protocolVersion: 0 });
    expect(reply).toMatchObject({ ok: false });
    expect((await api<{ ok: boolean }>('/api/health')).body.ok).toBe(true);
    polling.disconnect();
  });

  it('serves the global model to tf.loadLayersModel', async () => {
    const model = await tf.loadLayersModel(`${coordinator.url}/api/federations/demo/model`);
    const loaded = await readWeights(model);
    model.dispose();
    const bin = new Float32Array(await (await fetch(`${coordinator.url}/api/federations/demo/model/weights.bin`)).arrayBuffer());
    expect(loaded).toEqual(bin);
  });

  it('feeds the dashboard only with the admin token', async () => {
    const intruder = connect(`${coordinator.url}/admin`, { transports: ['websocket'], forceNew: true, auth: { token: 'wrong' } });
    sockets.push(intruder);
    expect((await nextEvent<Error>(intruder, 'connect_error')).message).toMatch(/^unauthorized: token is not a valid/);
    const admin = connect(`${coordinator.url}/admin`, { transports: ['websocket'], forceNew: true, auth: { token: TOKEN } });
    sockets.push(admin);
    const snapshot = nextEvent<ConsoleSnapshot>(admin, 'snapshot');
    admin.emit('subscribe', { federationId: 'demo' });
    const s = await snapshot;
    expect(s.federation.round).toBe(2);
    expect(s.deviceCounts.total).toBe(2);
    expect(s.lastRound?.round).toBe(1);
  });

  it('keeps rounds, devices and the model across a restart and redoes the interrupted round', async () => {
    for (const s of sockets) s.disconnect();
    await coordinator.close();
    coordinator = await start();

    const rounds = await api<RoundRecord[]>('/api/federations/demo/rounds', { headers: auth });
    expect(rounds.body.map((r) => r.round)).toEqual([1]);
    const bin = new Float32Array(await (await fetch(`${coordinator.url}/api/federations/demo/model/weights.bin`)).arrayBuffer());
    for (let i = 0; i < bin.length; i += 997) expect(bin[i]).toBeCloseTo(expectedGlobal[i]!, 4);
    const summary = await api<FederationSummary>('/api/federations/demo', { headers: auth });
    expect(summary.body).toMatchObject({ status: 'waiting', round: 1 });
    const devices = await api<DeviceInfo[]>('/api/federations/demo/devices', { headers: auth });
    expect(devices.body.map((d) => [d.deviceId, d.shardId, d.roundsContributed, d.connected])).toEqual([
      ['device-aaaa', 'demo-0', 1, false],
      ['device-bbbb', 'demo-1', 1, false],
    ]);

    const a = device('device-bbbb');
    const reply = await hello(a, 'device-bbbb');
    expect(reply).toMatchObject({ ok: true, dataset: { shardId: 'demo-1' } });
  });

  it('creates a federation over REST, explains refused configs, and admits a device with its own data', async () => {
    const config = testFederationConfig({
      id: 'silo-fed',
      name: 'silos',
      model: 'mnist-cnn-small',
      dataset: { kind: 'mnist', partition: 'dirichlet', alpha: 0.3, examplesPerDevice: 50, numDevices: 4, seed: 5 },
      maxRounds: 2,
      clientsPerRound: { fraction: 0.5 },
      targetAccuracy: 0.9,
      quorum: 0.5,
      modelSeed: 3,
    });
    const post = (body: unknown, headers: Record<string, string> = auth) =>
      api<{ ok?: boolean; reason?: string; status?: string }>('/api/federations', {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await post(config, {})).status).toBe(401);
    const badModel = await post({ ...config, model: 'resnet-152' });
    expect(badModel).toMatchObject({ status: 400, body: { ok: false, reason: expect.stringContaining('model') } });
    const tooBig = await post({ ...config, dataset: { ...config.dataset, numDevices: 2000 } });
    expect(tooBig).toMatchObject({ status: 400, body: { reason: expect.stringMatching(/exceeds the 60000/) } });
    expect(await post(config)).toMatchObject({ status: 201, body: { status: 'idle' } });
    expect((await post(config)).status).toBe(409);

    const silo = device();
    const reply = await silo.emitWithAck('hello', {
      protocolVersion: PROTOCOL_VERSION,
      deviceId: 'silo-device-1',
      federationId: 'silo-fed',
      backend: 'cpu',
      adapter: null,
      dataSource: { kind: 'own', numExamples: 1234 },
    });
    expect(reply).toMatchObject({ ok: true, dataset: { kind: 'own', numExamples: 1234 } });
    credentials.set('silo-device-1', reply.credential);
    const tab = device();
    const tabReply = await sayHello(tab, 'tab-device-1', 'silo-fed');
    expect(tabReply).toMatchObject({ ok: true, dataset: { kind: 'mnist-shard', shardId: 'silo-fed-0' } });
    const shard = await fetch(`${coordinator.url}/api/federations/silo-fed/shard/silo-device-1`, { headers: bearer('silo-device-1') });
    expect(shard.status).toBe(404);
  });
  it('pauses, resumes and redoes the paused round, then stops for good; the model stays downloadable', async () => {
    const post = (path: string, body?: unknown) =>
      api<FederationSummary & { ok?: boolean; reason?: string }>(`/api/federations/ops-fed${path}`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const config = testFederationConfig({
      id: 'ops-fed',
      name: 'operator actions',
      dataset: { kind: 'mnist', partition: 'iid', examplesPerDevice: 50, numDevices: 2, seed: 9 },
      maxRounds: 5,
      evalExamples: 50,
      modelSeed: 4,
    });
    expect(
      (await api('/api/federations', { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(config) })).status,
    ).toBe(201);

    // Not running yet: nothing to pause or resume.
    expect(await post('/pause')).toMatchObject({ status: 409, body: { ok: false, reason: 'cannot pause a federation that is idle' } });
    expect(await post('/resume')).toMatchObject({ status: 409, body: { ok: false, reason: expect.stringContaining('idle') } });
    expect(await post('/pause', { force: true })).toMatchObject({ status: 400, body: { reason: expect.stringContaining('body') } });
    expect((await api('/api/federations/ops-fed/pause', { method: 'POST' })).status).toBe(401);

    const d = device();
    const helloReply = await sayHello(d, 'ops-device', 'ops-fed');
    expect(helloReply.ok).toBe(true);
    const first = nextEvent<ParsedRoundStartMessage>(d, 'round:start');
    expect(await post('/start')).toMatchObject({ status: 200, body: { status: 'training' } });
    const round1 = await first;
    expect(round1.round).toBe(1);
    const opsManifest = decodeWeights(round1.weights).manifest;
    const size = decodeWeights(round1.weights).values.length;

    // Paused: the round in flight is discarded, so its update no longer counts, and the devices are told so.
    const calledOff = nextEvent<RoundAbandonedMessage>(d, 'round:abandoned');
    expect(await post('/pause')).toMatchObject({ status: 200, body: { status: 'paused' } });
    expect(await calledOff).toEqual({ federationId: 'ops-fed', round: 1, reason: 'the operator paused the federation', next: 'redone-on-resume' });
    expect(await post('/pause')).toMatchObject({ status: 409, body: { reason: 'cannot pause a federation that is paused' } });
    const late: Ack = await d.emitWithAck('update', {
      ...update(1, encodeWeights(opsManifest, smallDelta(size, 3), 'delta', uplinkCodec(round1.codec)), 50),
      federationId: 'ops-fed',
    });
    expect(late.ok).toBe(false);

    // Resumed: the same round goes out again, and this time its update closes it.
    const redo = nextEvent<ParsedRoundStartMessage>(d, 'round:start');
    expect(await post('/resume')).toMatchObject({ status: 200, body: { status: 'training' } });
    const redone = await redo;
    expect(redone.round).toBe(1);
    expect(
      await d.emitWithAck('update', {
        ...update(1, encodeWeights(opsManifest, smallDelta(size, 3), 'delta', uplinkCodec(round1.codec)), 50),
        federationId: 'ops-fed',
      }),
    ).toEqual({ ok: true });
    const [recorded] = await until(async () => {
      const r = await api<RoundRecord[]>('/api/federations/ops-fed/rounds', { headers: auth });
      return r.body.length > 0 ? r.body : undefined;
    }, 'ops-fed round 1 to be recorded');
    // The round's bytes are the attempt that closed it; the paused attempt's model download is counted apart (issue 16 item 6).
    expect(recorded).toMatchObject({ bytesDown: redone.weights.byteLength, abandonedBytesDown: round1.weights.byteLength, abandonedBytesUp: 0 });
    const perDevice = await api<Page<DeviceRoundBytes>>('/api/federations/ops-fed/device-bytes?paged=true&round=1', { headers: auth });
    expect(perDevice.body.items).toEqual([
      {
        round: 1,
        deviceId: 'ops-device',
        bytesUp: expect.any(Number),
        bytesDown: redone.weights.byteLength,
        abandonedBytesUp: 0,
        abandonedBytesDown: round1.weights.byteLength,
      },
    ]);

    // Stop is final: nothing starts it again.
    expect(await post('/stop')).toMatchObject({ status: 200, body: { status: 'stopped' } });
    for (const action of ['/start', '/resume', '/pause', '/stop']) {
      expect(await post(action)).toMatchObject({ status: 409, body: { ok: false, reason: expect.stringContaining('stopped') } });
    }

    // The final model, one file: Flock weights with the round in its name, the same values as weights.bin.
    const file = await fetch(`${coordinator.url}/api/federations/ops-fed/model.flkw`);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-disposition')).toMatch(/^attachment; filename="?flock-ops-fed-mnist-mlp-round-1\.flkw"?$/);
    expect(file.headers.get('x-flock-round')).toBe('1');
    const stored = decodeWeights(new Uint8Array(await file.arrayBuffer()), opsManifest);
    expect(stored.kind).toBe('weights');
    const bin = new Float32Array(await (await fetch(`${coordinator.url}/api/federations/ops-fed/model/weights.bin`)).arrayBuffer());
    expect(stored.values).toEqual(bin);
    expect((await fetch(`${coordinator.url}/api/federations/nope/model.flkw`)).status).toBe(404);
  });

  it('filters the event log by kind and level, newest last, and refuses bad queries', async () => {
    const events = (query: string) => api<EventLogEntry[] & { reason?: string }>(`/api/federations/ops-fed/events${query}`, { headers: auth });
    const operator = await until(async () => {
      const r = await events('?kind=started,paused,resumed,stopped');
      return r.body.length === 4 ? r.body : undefined;
    }, 'the operator events of ops-fed');
    expect(operator.map((e) => e.kind)).toEqual(['started', 'paused', 'resumed', 'stopped']);
    expect((await events('?kind=paused&kind=stopped')).body.map((e) => e.kind)).toEqual(['paused', 'stopped']);
    // Round 1 went out twice (before the pause and on resume), then round 2.
    expect((await events('?kind=round-started')).body.map((e) => e.message.split(':')[0])).toEqual(['round 1', 'round 1', 'round 2']);

    const warnings = (await events('?level=warn')).body;
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings.every((e) => e.level === 'warn')).toBe(true);
    expect(warnings.map((e) => e.kind)).toContain('update-rejected');

    const all = (await events('')).body;
    const lastTwo = (await events('?limit=2')).body;
    expect(lastTwo).toEqual(all.slice(-2));
    expect(all.at(-1)!.at >= all[0]!.at).toBe(true);

    for (const bad of ['?limit=0', '?limit=abc', '?kind=Round%20Closed', '?level=error', '?kinds=paused']) {
      expect(await events(bad)).toMatchObject({ status: 400, body: { ok: false, reason: expect.stringContaining('query') } });
    }
  });
});

/** A TCP relay that can go silent: nothing passes any more, in either direction, and nothing is closed. */
async function silenceableRelay(targetPort: number): Promise<{ url: string; silence(): void; close(): Promise<void> }> {
  const pairs: [TcpSocket, TcpSocket][] = [];
  const server: TcpServer = createServer((down) => {
    const up = createConnection(targetPort, '127.0.0.1');
    for (const end of [down, up]) end.on('error', () => {});
    down.pipe(up);
    up.pipe(down);
    pairs.push([down, up]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    silence() {
      for (const [down, up] of pairs) {
        down.unpipe(up);
        up.unpipe(down);
        down.pause();
        up.pause();
      }
    },
    async close() {
      for (const pair of pairs) for (const end of pair) end.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('coordinator heartbeat', () => {
  let quickDir: string;
  let quick: RunningCoordinator;

  beforeAll(async () => {
    quickDir = await mkdtemp(join(tmpdir(), 'flock-heartbeat-'));
    await seedDatabase(quickDir);
    quick = await startCoordinator({
      port: 0,
      host: '127.0.0.1',
      dataDir: quickDir,
      adminToken: TOKEN,
      logLevel: 'silent',
      heartbeat: { pingIntervalMs: 300, pingTimeoutMs: 600 },
    });
  });

  afterAll(async () => {
    await quick?.close();
    await rm(quickDir, { recursive: true, force: true });
  });

  it('marks a device that stops answering pings as disconnected, and keeps one that answers', async () => {
    const relay = await silenceableRelay(quick.port);
    const vanishing = connectDevice(relay.url, { reconnection: false });
    const healthy = connectDevice(quick.url, { reconnection: false });
    try {
      expect((await sayHello(vanishing, 'device-vanishing', 'demo')).ok).toBe(true);
      expect((await sayHello(healthy, 'device-healthy', 'demo')).ok).toBe(true);
      const devices = async () => (await (await fetch(`${quick.url}/api/federations/demo/devices`, { headers: auth })).json()) as DeviceInfo[];
      const connectedOf = async (deviceId: string) => (await devices()).find((d) => d.deviceId === deviceId)?.connected;
      await until(async () => ((await connectedOf('device-vanishing')) && (await connectedOf('device-healthy')) ? true : undefined), 'both devices online');

      // The phone leaves the network: no FIN, no disconnect packet; only the missing pongs tell.
      relay.silence();
      const silencedAt = Date.now();
      await until(async () => ((await connectedOf('device-vanishing')) === false ? true : undefined), 'the silent device to be marked disconnected', 5_000);
      expect(Date.now() - silencedAt).toBeLessThan(4_000);
      expect(await connectedOf('device-healthy')).toBe(true);

      const offline = await until(async () => {
        const r = await fetch(`${quick.url}/api/federations/demo/events?kind=device-offline`, { headers: auth });
        const body = (await r.json()) as EventLogEntry[];
        return body.length > 0 ? body : undefined;
      }, 'the device-offline event');
      expect(offline.map((e) => e.deviceId)).toEqual(['device-vanishing']);
    } finally {
      vanishing.disconnect();
      healthy.disconnect();
      await relay.close();
    }
  });
});
