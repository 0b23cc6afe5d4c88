import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_NAMESPACE, type EventLogEntry } from '@flock/fl-core';
import { io as connect, type Socket } from 'socket.io-client';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCoordinator, type RunningCoordinator } from '../coordinator.ts';
import { freePort } from '../testing/coordinatorProcess.ts';
import { connectDevice, sayHello } from '../testing/deviceSockets.ts';
import { RedisServer } from '../testing/redisServer.ts';
import { seedDatabase } from '../testing/seededDatabase.ts';

const TOKEN = 'redis-adapter-test-admin-token';
const ARRIVAL_MS = 15_000;

let redis: RedisServer;
let dir: string;
const coordinators: RunningCoordinator[] = [];
const sockets: Socket[] = [];

async function start(name: string, redisUrl: string): Promise<RunningCoordinator> {
  await seedDatabase(join(dir, name));
  return startCoordinator({ port: 0, host: '127.0.0.1', dataDir: join(dir, name), adminToken: TOKEN, logLevel: 'silent', redisUrl });
}

/** A dashboard on `coordinator`, subscribed to the demo federation's console. */
async function dashboard(coordinator: RunningCoordinator): Promise<Socket> {
  const socket = connect(`${coordinator.url}${ADMIN_NAMESPACE}`, { transports: ['websocket'], forceNew: true, auth: { token: TOKEN } });
  sockets.push(socket);
  expect(await socket.timeout(5_000).emitWithAck('subscribe', { federationId: 'demo' })).toEqual({ ok: true });
  return socket;
}

/** The first event-log entry of `kind` about `deviceId` (null: the federation's own) that `socket` hears. */
function eventAbout(socket: Socket, kind: string, deviceId: string | null): Promise<EventLogEntry> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${kind} event about ${deviceId} reached the dashboard within ${ARRIVAL_MS / 1000} s`)), ARRIVAL_MS);
    const heard = (entries: EventLogEntry[]) => {
      const entry = entries.find((e) => e.kind === kind && e.deviceId === deviceId);
      if (!entry) return;
      clearTimeout(timer);
      socket.off('events', heard);
      resolve(entry);
    };
    socket.on('events', heard);
  });
}

/** A device says hello to the demo federation on `coordinator`. */
async function joinDemo(coordinator: RunningCoordinator, deviceId: string): Promise<Socket> {
  const device = connectDevice(coordinator.url);
  sockets.push(device);
  expect((await sayHello(device, deviceId, 'demo')).ok).toBe(true);
  return device;
}

async function healthy(coordinator: RunningCoordinator): Promise<number> {
  return (await fetch(`${coordinator.url}/api/health`)).status;
}

beforeAll(async () => {
  redis = await RedisServer.launch();
  dir = await mkdtemp(join(tmpdir(), 'flock-redis-'));
  coordinators.push(await start('a', redis.url), await start('b', redis.url));
}, 120_000);

afterAll(async () => {
  for (const socket of sockets) socket.close();
  for (const coordinator of coordinators) await coordinator.close();
  await redis?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('two coordinators sharing Redis', () => {
  it('a dashboard on one coordinator hears what a device does on the other', async () => {
    const [a, b] = coordinators;
    const heard = eventAbout(await dashboard(b!), 'device-registered', 'device-on-a');
    await joinDemo(a!, 'device-on-a');
    expect(await heard).toMatchObject({ federationId: 'demo', kind: 'device-registered', deviceId: 'device-on-a' });
  });

  it('sends a round’s model to the devices on their own coordinator, never through Redis', async () => {
    const [a, b] = coordinators;
    const roundStarted = eventAbout(await dashboard(b!), 'round-started', null);
    const devices = [await joinDemo(a!, 'trainer-1'), await joinDemo(a!, 'trainer-2')];
    const models = devices.map((device) => new Promise((resolve) => device.once('round:start', resolve)));
    const started = await fetch(`${a!.url}/api/federations/demo/start`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(started.status).toBe(200);
    await Promise.all([...models, roundStarted]);

    const client = createClient({ url: redis.url });
    await client.connect();
    try {
      // The adapter writes a packet as JSON, or as base64 msgpack when it holds bytes; msgpack keeps strings as they are.
      const packets = ((await client.xRange('socket.io', '-', '+')) ?? []).map(({ message }) => {
        const data = message.data ?? '';
        return data.startsWith('{') ? data : Buffer.from(data, 'base64').toString('latin1');
      });
      const stream = packets.join('\n');
      expect(stream).toContain('round-started');
      expect(stream).not.toContain('round:start');
    } finally {
      await client.close();
    }
  });

  it('stays up while Redis is down and restarts, and loses no broadcast made meanwhile', async () => {
    const [a, b] = coordinators;
    const watching = await dashboard(b!);
    const duringOutage = eventAbout(watching, 'device-registered', 'device-during-outage');
    const afterRestart = eventAbout(watching, 'device-registered', 'device-after-restart');
    await redis.stop();
    await joinDemo(a!, 'device-during-outage');
    expect([await healthy(a!), await healthy(b!)]).toEqual([200, 200]);
    await redis.start();
    await joinDemo(a!, 'device-after-restart');
    expect(await duringOutage).toMatchObject({ federationId: 'demo', kind: 'device-registered', deviceId: 'device-during-outage' });
    expect(await afterRestart).toMatchObject({ federationId: 'demo', kind: 'device-registered', deviceId: 'device-after-restart' });
  });

  it('a coordinator that shuts down tells its own devices, not those of the other coordinator', async () => {
    const [a, b] = coordinators;
    const [onA, onB] = [await joinDemo(a!, 'closing-on-a'), await joinDemo(b!, 'staying-on-b')];
    const heardOnB: unknown[] = [];
    onB.on('coordinator:closing', (msg: unknown) => heardOnB.push(msg));
    const toldA = new Promise((resolve) => onA.once('coordinator:closing', resolve));
    coordinators.splice(coordinators.indexOf(a!), 1);
    await a!.close();
    expect(await toldA).toMatchObject({ reason: expect.any(String) });
    // What went through Redis would reach b's device within this time (the broadcasts above arrive in milliseconds).
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(heardOnB).toEqual([]);
  });
});

describe('a coordinator given a Redis that is not there', () => {
  it('refuses to start, naming the URL and what to do', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    await expect(start('unreachable', url)).rejects.toThrow(
      new RegExp(`^cannot reach Redis at ${url} \\(.*\\)\\. Start Redis there, correct FLOCK_REDIS_URL, or unset FLOCK_REDIS_URL`),
    );
  });
});
