import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoordinatorProcess } from './testing/coordinatorProcess.ts';
import { until } from './testing/testCoordinator.ts';
import { connectDevice, sayHello } from './testing/deviceSockets.ts';
import { HaproxyServer, type Backend } from './testing/haproxyServer.ts';

// deploy/haproxy.cfg as operators run it, in front of two compiled coordinators (each its own embedded store).
const TOKEN = 'load-balancer-test-admin-token';
/** Health checks every 1 s, two failures take a coordinator out: 2 s, and a check's own time. */
const LEAVES_POOL_MS = 3_500;

let coordinators: CoordinatorProcess[] = [];
let balancer: HaproxyServer;
const sockets: Socket[] = [];

function device(options: Parameters<typeof connectDevice>[1] = {}): Socket {
  const socket = connectDevice(balancer.url, options);
  sockets.push(socket);
  return socket;
}

/** The coordinators as the balancer sees them, once `wanted` holds of them. */
function backendsWhen(wanted: (backends: Backend[]) => boolean, what: string, ms: number): Promise<Backend[]> {
  return until(
    async () => {
      const backends = await balancer.backends();
      return wanted(backends) ? backends : undefined;
    },
    what,
    ms,
  );
}

beforeAll(async () => {
  coordinators = await Promise.all([1, 2].map(() => CoordinatorProcess.launch({ run: 'compiled', adminToken: TOKEN })));
  balancer = await HaproxyServer.launch(coordinators.map((c) => c.url));
}, 120_000);

afterAll(async () => {
  for (const socket of sockets) socket.disconnect();
  await balancer?.stop();
  await Promise.all(coordinators.map((c) => c.stop()));
});

describe('HAProxy with deploy/haproxy.cfg in front of two coordinators', () => {
  it('serves the API and the pages through one port, with both coordinators in the pool', async () => {
    expect((await fetch(`${balancer.url}/api/health`)).status).toBe(200);
    expect((await fetch(`${balancer.url}/admin`)).status).toBe(200);
    expect((await balancer.backends()).map((b) => [b.name, b.status])).toEqual([
      ['coordinator-1', 'UP'],
      ['coordinator-2', 'UP'],
    ]);
  });

  it('carries WebSocket devices and spreads them over the coordinators', async () => {
    // The earlier test's HTTP connections may still be open on one coordinator (keep-alive), and leastconn counts them.
    await backendsWhen((backends) => backends.every((b) => b.connections === 0), 'the earlier connections closed', 10_000);
    const devices = [1, 2, 3, 4].map(() => device({ reconnection: false }));
    try {
      for (const [i, socket] of devices.entries()) expect(await sayHello(socket, `lb-websocket-${i}`, 'demo')).toMatchObject({ ok: true });
      expect((await balancer.backends()).map((b) => b.connections)).toEqual([2, 2]);
    } finally {
      for (const socket of devices) socket.disconnect();
    }
  });

  it("keeps a long-polling client on one coordinator with its cookie, so its session's requests all reach it", async () => {
    // Without the cookie, leastconn sends the requests after the handshake (the held poll is a connection) to the other
    // coordinator, which knows no such session and ends it.
    const polling = device({ transports: ['polling'], withCredentials: true, reconnection: false });
    expect((await sayHello(polling.timeout(5_000), 'lb-polling-device', 'demo')).ok).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(polling.connected).toBe(true);
    polling.disconnect();
  });

  it('takes a killed coordinator out of the pool within seconds, answering every request meanwhile, and its device reconnects to the other', async () => {
    // One after the other, once the earlier tests' connections are closed: leastconn then puts one on each coordinator.
    await backendsWhen((backends) => backends.every((b) => b.connections === 0), 'the earlier connections closed', 5_000);
    const devices: Socket[] = [];
    for (const i of [0, 1]) {
      devices.push(device());
      expect((await sayHello(devices[i]!, `lb-failover-${i}`, 'demo')).ok).toBe(true);
    }
    expect((await balancer.backends()).map((b) => b.connections)).toEqual([1, 1]);
    let reconnects = 0;
    for (const socket of devices) socket.io.on('reconnect', () => reconnects++);

    const killedAt = Date.now();
    await coordinators[0]!.kill('SIGKILL');
    const outOfPool = backendsWhen((backends) => backends[0]!.status === 'DOWN', 'coordinator-1 out of the pool', LEAVES_POOL_MS);
    const statuses: number[] = [];
    while (Date.now() - killedAt < LEAVES_POOL_MS) statuses.push((await fetch(`${balancer.url}/api/health`)).status);
    await outOfPool;

    expect(statuses.length).toBeGreaterThan(10);
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    await until(async () => (reconnects === 1 ? true : undefined), 'the device on the killed coordinator to reconnect', 10_000);
    for (const [i, socket] of devices.entries()) expect((await sayHello(socket, `lb-failover-${i}`, 'demo')).ok).toBe(true);
    expect((await balancer.backends()).map((b) => b.connections)).toEqual([0, 2]);
  });

  it('names the client in X-Forwarded-For itself, dropping what the client wrote there, so no one passes for another address', async () => {
    const seen: (string | undefined)[] = [];
    const echo = createServer((req, res) => {
      if (req.url === '/forwarded') seen.push(req.headers['x-forwarded-for'] as string | undefined);
      res.end('ok');
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    const behind = await HaproxyServer.launch([`http://127.0.0.1:${(echo.address() as AddressInfo).port}`]);
    try {
      await fetch(`${behind.url}/forwarded`, { headers: { 'x-forwarded-for': '203.0.113.7' } });
      await fetch(`${behind.url}/forwarded`);
      expect(seen).toEqual(['127.0.0.1', '127.0.0.1']);
    } finally {
      await behind.stop();
      echo.close();
    }
  });
});
