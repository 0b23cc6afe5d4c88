import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeviceRoundBytes, RoundRecord } from '@flock/fl-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCoordinator, type RunningCoordinator } from '../coordinator.ts';
import { LightDevice, lightDeviceFederation } from '../testing/lightDevices.ts';
import { PostgresServer } from '../testing/postgresServer.ts';
import { RedisServer } from '../testing/redisServer.ts';
import { restCall, restOk } from '../testing/restCalls.ts';
import { until } from '../testing/testCoordinator.ts';

const TOKEN = 'round-traffic-admin-token';
const FEDERATION = lightDeviceFederation({ id: 'traffic', name: 'Devices on two coordinators', maxRounds: 1, minDevices: 2, deadlineMs: 60_000, modelSeed: 7 });

let postgres: PostgresServer;
let redis: RedisServer;
let dir: string;
const coordinators: RunningCoordinator[] = [];
const devices: LightDevice[] = [];

beforeAll(async () => {
  [postgres, redis, dir] = await Promise.all([PostgresServer.launch(), RedisServer.launch(), mkdtemp(join(tmpdir(), 'round-traffic-'))]);
  for (const name of ['coordinator-a', 'coordinator-b']) {
    coordinators.push(
      await startCoordinator({
        port: 0,
        host: '127.0.0.1',
        dataDir: join(dir, name),
        databaseUrl: postgres.url,
        redisUrl: redis.url,
        coordinatorId: name,
        adminToken: TOKEN,
        logLevel: 'silent',
      }),
    );
  }
}, 120_000);

afterAll(async () => {
  for (const d of devices) d.close();
  await Promise.all(coordinators.map((c) => c.close()));
  await Promise.all([redis?.stop(), postgres?.stop()]);
  if (dir) await rm(dir, { recursive: true, force: true });
}, 60_000);

describe('a round whose devices are connected to two coordinators', () => {
  it("records every coordinator's model bytes sent: the round's bytes down and each device's contribution", async () => {
    const [a, b] = coordinators as [RunningCoordinator, RunningCoordinator];
    await restOk(a.url, TOKEN, 'POST', '/api/federations', FEDERATION);
    await until(async () => ((await restCall(b.url, TOKEN, 'GET', `/api/federations/${FEDERATION.id}`)).status === 200 ? true : undefined), 'b to load it');
    /** Bytes of the models each device was sent, by device id. */
    const received = new Map<string, number>();
    for (const [i, coordinator] of [a, b].entries()) {
      const deviceId = `device-on-${i === 0 ? 'a' : 'b'}`;
      const device = await LightDevice.join(coordinator.url, {
        federationId: FEDERATION.id,
        deviceId,
        examples: 10,
        delta: (round, size) => new Float32Array(size).fill(1e-3 * round),
      });
      device.socket.on('round:start', (msg: { weights: Uint8Array }) => received.set(deviceId, (received.get(deviceId) ?? 0) + msg.weights.byteLength));
      devices.push(device);
    }
    await restOk(a.url, TOKEN, 'POST', `/api/federations/${FEDERATION.id}/start`);

    const [record] = await until(async () => {
      const rounds = await restOk<RoundRecord[]>(a.url, TOKEN, 'GET', `/api/federations/${FEDERATION.id}/rounds`);
      return rounds.length > 0 ? rounds : undefined;
    }, 'round 1 to close');
    const sent = [...received.values()];
    expect(sent).toHaveLength(2);
    expect(sent.every((n) => n > 0)).toBe(true);
    expect(record!.bytesDown).toBe(sent[0]! + sent[1]!);
    const bytes = await restOk<DeviceRoundBytes[]>(b.url, TOKEN, 'GET', `/api/federations/${FEDERATION.id}/device-bytes?rounds=1`);
    expect(bytes.map((d) => [d.deviceId, d.bytesDown]).sort()).toEqual([...received].sort());
  }, 60_000);
});
