import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeWeights, encodeWeights, uplinkCodec, type ParsedRoundStartMessage, type RoundRecord } from '@flock/fl-core';
import { uploadUpdate, type DeviceSocket } from '@flock/fl-core/device';
import { testFederationConfig } from '@flock/fl-core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCoordinator, type RunningCoordinator } from '../coordinator.ts';
import { connectDevice, sayHello } from '../testing/deviceSockets.ts';
import { seedDatabase } from '../testing/seededDatabase.ts';

const TOKEN = 'chunked-upload-test-admin-token';
const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
const CHUNK = 16 * 1024;

let dataDir: string;
let coordinator: RunningCoordinator;
const sockets: DeviceSocket[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'flock-chunks-'));
  await seedDatabase(dataDir);
  coordinator = await startCoordinator({ port: 0, host: '127.0.0.1', dataDir, adminToken: TOKEN, logLevel: 'silent' });
}, 180_000);

afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await coordinator?.close();
  await rm(dataDir, { recursive: true, force: true });
});

function device(): DeviceSocket {
  const s: DeviceSocket = connectDevice(coordinator.url, { reconnectionDelay: 100, reconnectionDelayMax: 200 });
  sockets.push(s);
  return s;
}

const once = <T>(s: DeviceSocket, event: string) => new Promise<T>((resolve) => s.once(event as 'connect', resolve as () => void));

async function hello(s: DeviceSocket, deviceId: string): Promise<void> {
  const reply = await sayHello(s, deviceId, 'chunky');
  if (!reply.ok) throw new Error(`hello refused: ${reply.reason}`);
  // The device credential the coordinator binds a device to on its first hello goes in every later handshake.
  if (reply.credential) s.auth = { token: reply.credential };
}

describe('chunked uploads over real sockets', () => {
  it('an update whose link drops mid-upload lands once, and no acknowledged chunk is sent again', async () => {
    const config = testFederationConfig({
      id: 'chunky',
      name: 'chunked uploads',
      dataset: { kind: 'mnist', partition: 'iid', examplesPerDevice: 20, numDevices: 2, seed: 3 },
      maxRounds: 2,
      minDevices: 2,
      deadline: { mode: 'fixed', ms: 120_000 },
      evalExamples: 20,
    });
    expect((await fetch(`${coordinator.url}/api/federations`, { method: 'POST', headers: auth, body: JSON.stringify(config) })).status).toBe(201);
    const a = device();
    const b = device();
    await Promise.all([once(a, 'connect'), once(b, 'connect')]);
    await hello(a, 'chunky-device-a');
    await hello(b, 'chunky-device-b');
    const started = once<ParsedRoundStartMessage>(a, 'round:start');
    expect((await fetch(`${coordinator.url}/api/federations/chunky/start`, { method: 'POST', headers: auth })).status).toBe(200);
    const round = await started;
    const { manifest, values } = decodeWeights(round.weights);
    const delta = values.map((_, i) => Math.sin(i) * 1e-3);
    const payload = encodeWeights(manifest, delta, 'delta', uplinkCodec(round.codec)) as Uint8Array<ArrayBuffer>;
    expect(payload.byteLength).toBeGreaterThan(10 * CHUNK);
    const update = { federationId: 'chunky', round: 1, numExamples: 20, metrics: { loss: 0.5, accuracy: 0.5 }, payload };

    const chunkOffsets: number[] = [];
    a.onAnyOutgoing((event, body: { offset?: number }) => {
      if (event === 'update:chunk') chunkOffsets.push(body.offset!);
    });
    let acknowledgedAtDrop = 0;
    const reconnected = once(a, 'connect');
    const first = await uploadUpdate(a, update, {
      chunkBytes: CHUNK,
      onProgress: (received) => {
        // The link goes down after the fifth chunk's ack: the transport closes as a lost connection would.
        if (received >= 5 * CHUNK && acknowledgedAtDrop === 0) {
          acknowledgedAtDrop = received;
          a.io.engine.close();
        }
      },
    });
    expect(first.outcome).toBe('undelivered');
    expect(acknowledgedAtDrop).toBe(5 * CHUNK);

    await reconnected;
    await hello(a, 'chunky-device-a');
    expect(await uploadUpdate(a, update, { chunkBytes: CHUNK })).toEqual({ outcome: 'accepted' });
    // Every acknowledged chunk went out once; the rest of the update went on from where it stopped.
    const acknowledged = chunkOffsets.filter((o) => o < acknowledgedAtDrop);
    expect(acknowledged).toEqual([0, 1, 2, 3, 4].map((i) => i * CHUNK));
    expect(new Set(chunkOffsets).size).toBe(Math.ceil(payload.byteLength / CHUNK));
    // Asked again (its last ack lost), the coordinator says it is done without a byte more.
    const before = chunkOffsets.length;
    expect(await uploadUpdate(a, update, { chunkBytes: CHUNK })).toEqual({ outcome: 'accepted' });
    expect(chunkOffsets).toHaveLength(before);

    const payloadB = encodeWeights(
      manifest,
      delta.map((d) => -d),
      'delta',
      uplinkCodec(round.codec),
    ) as Uint8Array<ArrayBuffer>;
    expect(await uploadUpdate(b, { ...update, payload: payloadB }, { chunkBytes: CHUNK })).toEqual({ outcome: 'accepted' });
    const rounds = await (async () => {
      for (let i = 0; i < 200; i++) {
        const r = (await (await fetch(`${coordinator.url}/api/federations/chunky/rounds`, { headers: auth })).json()) as RoundRecord[];
        if (r.length > 0) return r;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error('round 1 was not recorded');
    })();
    expect(rounds[0]).toMatchObject({ round: 1, participants: 2, examples: 40, rejected: 0 });
    // Device a's update counted once: the round's uplink bytes are the two payloads.
    expect(rounds[0]!.bytesUp).toBe(payload.byteLength + payloadB.byteLength);
    // And per device, as the dashboard shows them: device a was sent the round again when it came back.
    const perDevice = await (await fetch(`${coordinator.url}/api/federations/chunky/device-bytes`, { headers: auth })).json();
    expect(perDevice).toEqual([
      {
        round: 1,
        deviceId: 'chunky-device-a',
        bytesUp: payload.byteLength,
        bytesDown: 2 * round.weights.byteLength,
        abandonedBytesUp: 0,
        abandonedBytesDown: 0,
      },
      { round: 1, deviceId: 'chunky-device-b', bytesUp: payloadB.byteLength, bytesDown: round.weights.byteLength, abandonedBytesUp: 0, abandonedBytesDown: 0 },
    ]);
  }, 120_000);
});
