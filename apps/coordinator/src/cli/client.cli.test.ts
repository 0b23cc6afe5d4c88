import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeviceInfo, EventLogEntry, RoundRecord } from '@flock/fl-core';
import { testFederationConfig } from '@flock/fl-core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { startCoordinator, type RunningCoordinator } from '../coordinator.ts';
import { restOk } from '../testing/restCalls.ts';
import { writeSiloData } from '../testing/siloDataFiles.ts';
import { until } from '../testing/testCoordinator.ts';
import { seedDatabase } from '../testing/seededDatabase.ts';

const BIN = new URL('../../bin/flockctl.mjs', import.meta.url).pathname;
const TOKEN = 'client-cli-test-token';
const FEDERATION = 'silo-reconnect';
const SILO_EXAMPLES = 60;
const ROUNDS = 3;

/**
 * The link between the silo and the coordinator: a TCP relay that is down until `open`, and can be
 * cut as a network drop cuts it; for `downMs` after a cut it refuses connections, then relays again.
 */
class Link {
  private readonly live = new Set<Socket>();
  private upstreamPort: number | null = null;
  private downUntil = Number.POSITIVE_INFINITY;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async create(): Promise<Link> {
    let link: Link | null = null;
    const server = createServer((client) => link!.relay(client));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('the link did not get a port');
    link = new Link(server, `http://127.0.0.1:${address.port}`);
    return link;
  }

  open(port: number): void {
    this.upstreamPort = port;
    this.downUntil = 0;
  }

  private relay(client: Socket): void {
    if (this.upstreamPort === null || Date.now() < this.downUntil) return void client.destroy();
    const upstream = connect(this.upstreamPort, '127.0.0.1');
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.live.add(a);
      a.pipe(b);
      a.on('error', () => b.destroy());
      a.on('close', () => {
        this.live.delete(a);
        b.destroy();
      });
    }
  }

  cut(downMs: number): void {
    this.downUntil = Date.now() + downMs;
    for (const s of this.live) s.destroy();
  }

  close(): Promise<void> {
    this.cut(Number.POSITIVE_INFINITY);
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

let dataDir: string;
let coordinator: RunningCoordinator;

const api = <T>(path: string, body?: unknown) => restOk<T>(coordinator.url, TOKEN, body === undefined ? 'GET' : 'POST', path, body);

afterAll(async () => {
  await coordinator?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('flockctl client', () => {
  it(
    'waits for its coordinator, reconnects by itself when its link drops mid-federation, says hello again and contributes to later rounds',
    { timeout: 60_000 },
    async () => {
      // The silo starts first (as a silo may): it keeps trying the link, which opens once the federation exists.
      const link = await Link.create();
      const silo: ChildProcess = spawn(
        process.execPath,
        [
          BIN,
          'client',
          '--server',
          link.url,
          '--federation',
          FEDERATION,
          '--data',
          await writeSiloData(SILO_EXAMPLES),
          '--device-id',
          'silo-reconnect-1',
          '--backend',
          'cpu',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let log = '';
      silo.stdout!.on('data', (c: Buffer) => (log += c.toString()));
      silo.stderr!.on('data', (c: Buffer) => (log += c.toString()));
      try {
        dataDir = await mkdtemp(join(tmpdir(), 'flock-client-test-'));
        await seedDatabase(dataDir);
        coordinator = await startCoordinator({ port: 0, host: '127.0.0.1', dataDir, adminToken: TOKEN, logLevel: 'silent' });
        await api(
          '/api/federations',
          testFederationConfig({
            id: FEDERATION,
            name: 'a silo whose link drops',
            dataset: { kind: 'mnist', partition: 'iid', examplesPerDevice: 10, numDevices: 1, seed: 3 },
            training: { epochs: 1, batchSize: 20, learningRate: 0.1 },
            maxRounds: ROUNDS,
            modelSeed: 3,
          }),
        );
        link.open(coordinator.port);
        const silo1 = async () => (await api<DeviceInfo[]>(`/api/federations/${FEDERATION}/devices`)).find((d) => d.deviceId === 'silo-reconnect-1');
        await until(async () => ((await silo1())?.state === 'waiting-for-round' ? true : undefined), 'the silo to join', 40_000);
        await api(`/api/federations/${FEDERATION}/start`, {});
        await until(async () => ((await api<RoundRecord[]>(`/api/federations/${FEDERATION}/rounds`)).length >= 1 ? true : undefined), 'round 1', 20_000);

        const cutAt = new Date();
        link.cut(1_000);
        const events = () => api<EventLogEntry[]>(`/api/federations/${FEDERATION}/events`);
        await until(
          async () => ((await events()).some((e) => e.kind === 'device-offline' && e.deviceId === 'silo-reconnect-1') ? true : undefined),
          'the coordinator to see the silo go',
          20_000,
        );
        await until(
          async () => ((await api<{ status: string }>(`/api/federations/${FEDERATION}`)).status === 'finished' ? true : undefined),
          'the federation to finish',
          40_000,
        );

        const rounds = await api<RoundRecord[]>(`/api/federations/${FEDERATION}/rounds`);
        expect(rounds.map((r) => r.round)).toEqual(Array.from({ length: ROUNDS }, (_, i) => i + 1));
        const afterCut = rounds.filter((r) => new Date(r.completedAt) > cutAt);
        expect(afterCut.length).toBeGreaterThanOrEqual(1);
        for (const r of rounds) expect(r).toMatchObject({ participants: 1, examples: SILO_EXAMPLES });
        expect((await silo1())?.roundsContributed).toBe(ROUNDS);

        const siloEvents = (await events()).filter((e) => e.deviceId === 'silo-reconnect-1').map((e) => e.kind);
        const offline = siloEvents.indexOf('device-offline');
        expect(siloEvents.slice(offline)).toContain('device-online'); // the hello after the drop
        expect(log).toMatch(/reconnecting[\s\S]*\bconnected, /);
      } catch (err) {
        throw new Error(`${String(err)}\nthe silo's log:\n${log}`, { cause: err });
      } finally {
        silo.kill('SIGTERM');
        await link.close();
      }
    },
  );
});
