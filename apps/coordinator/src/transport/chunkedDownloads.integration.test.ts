import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FederationSummary, RoundRecord } from '@flock/fl-core';
import { DeviceSession, type DeviceSocket } from '@flock/fl-core/device';
import { InProcessTrainer, MemoryShards, nodeAdapters } from '@flock/fl-core/node';
import { testFederationConfig } from '@flock/fl-core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCoordinator, type RunningCoordinator } from '../coordinator.ts';
import { restCall } from '../testing/restCalls.ts';
import { seedDatabase } from '../testing/seededDatabase.ts';

const TOKEN = 'chunked-download-test-admin-token';
const CHUNK = 16 * 1024;
/** The link drops once this many chunks were acknowledged. */
const ACKED_AT_DROP = 5;

let dataDir: string;
let coordinator: RunningCoordinator;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'flock-downloads-'));
  await seedDatabase(dataDir);
  coordinator = await startCoordinator({
    port: 0,
    host: '127.0.0.1',
    dataDir,
    adminToken: TOKEN,
    logLevel: 'silent',
    downloads: { inlineBytes: CHUNK, chunkBytes: CHUNK },
  });
}, 180_000);

afterAll(async () => {
  await coordinator?.close();
  await rm(dataDir, { recursive: true, force: true });
});

const api = <T>(method: string, path: string, body?: unknown) => restCall<T>(coordinator.url, TOKEN, method, path, body);

describe('chunked model downloads over real sockets', () => {
  it('a device pulls the model in chunks, resumes after its link drops without fetching an acknowledged chunk again, and trains the round', async () => {
    const config = testFederationConfig({
      id: 'pully',
      name: 'chunked downloads',
      dataset: { kind: 'mnist', partition: 'iid', examplesPerDevice: 40, numDevices: 1, seed: 3 },
      deadline: { mode: 'fixed', ms: 120_000 },
      belowQuorum: 'extend-once',
    });
    expect((await api('POST', '/api/federations', config)).status).toBe(201);

    const url = coordinator.url;
    const shards = new MemoryShards(url);
    const trainer = new InProcessTrainer((shardId) => shards.get(shardId));
    const adapters = nodeAdapters(url, shards, trainer);
    const announcements: Record<string, unknown>[] = [];
    const requested: number[] = [];
    const connect = adapters.connect;
    // The session's own socket, watched: what round:start carried and which offsets it asked for.
    adapters.connect = (): DeviceSocket => {
      const socket = connect();
      socket.on('round:start', (raw) => void announcements.push(raw as Record<string, unknown>));
      socket.onAnyOutgoing((event, body: { offset: number }) => {
        if (event !== 'model:chunk') return;
        requested.push(body.offset);
        // The transport closes as a lost connection would, with this request on the wire.
        if (requested.length === ACKED_AT_DROP + 1) socket.io.engine.close();
      });
      return socket;
    };
    const session = new DeviceSession({ deviceId: 'pully-device-1', federationId: 'pully', backend: 'cpu', adapter: null }, adapters);
    session.start();
    try {
      const poll = { timeout: 90_000, interval: 100 };
      await expect.poll(async () => (await api<FederationSummary>('GET', '/api/federations/pully')).body.devices?.connected, poll).toBeTruthy();
      expect((await api('POST', '/api/federations/pully/start')).status).toBe(200);
      const rounds = async () => (await api<RoundRecord[]>('GET', '/api/federations/pully/rounds')).body;
      await expect.poll(async () => (await rounds()).length, poll).toBe(1);
      const [round] = await rounds();
      expect(round).toMatchObject({ round: 1, participants: 1, examples: 40, rejected: 0 });
      expect(round!.accuracy).toBeGreaterThan(0.1);

      // round:start carried a descriptor, not the model; after the reconnect the same one came again.
      expect(announcements.length).toBeGreaterThanOrEqual(2);
      const download = announcements[0]!.download as { totalBytes: number; hash: string; chunkBytes: number };
      expect(announcements[0]!.weights).toBeUndefined();
      expect(download).toMatchObject({ chunkBytes: CHUNK, hash: expect.stringMatching(/^[0-9a-f]{8}$/) });
      expect(announcements[1]!.download).toEqual(download);
      const chunks = Math.ceil(download.totalBytes / CHUNK);
      expect(chunks).toBeGreaterThan(ACKED_AT_DROP + 2);

      // Each acknowledged chunk was asked for once; only the one in flight at the drop was asked again.
      const offsets = Array.from({ length: chunks }, (_, i) => i * CHUNK);
      expect(requested).toEqual([...offsets.slice(0, ACKED_AT_DROP + 1), ...offsets.slice(ACKED_AT_DROP)]);
    } finally {
      session.close();
      trainer.dispose();
    }
  }, 180_000);
});
