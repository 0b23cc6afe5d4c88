import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCoordinator, type RunningCoordinator } from '../coordinator.ts';
import { DEFAULT_SECURITY_LIMITS } from './securityLimits.ts';
import { ConnectionsPerIp } from './socketGuards.ts';

let dataDir: string;
let coordinator: RunningCoordinator;
const sockets: Socket[] = [];

const open = (path = '', token = 'per-ip-admin-token') =>
  new Promise<{ socket: Socket; outcome: string }>((resolve) => {
    const socket = connect(`${coordinator.url}${path}`, { transports: ['websocket'], forceNew: true, reconnection: false, auth: path ? { token } : {} });
    sockets.push(socket);
    socket.once('connect', () => resolve({ socket, outcome: 'connected' }));
    socket.once('connect_error', (err) => resolve({ socket, outcome: `refused: ${err.message}` }));
  });

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'flock-per-ip-'));
  coordinator = await startCoordinator({
    port: 0,
    host: '127.0.0.1',
    dataDir,
    adminToken: 'per-ip-admin-token',
    logLevel: 'silent',
    security: { ...DEFAULT_SECURITY_LIMITS, maxConnectionsPerIp: 3 },
  });
}, 60_000);

afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await coordinator?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('connections per IP', () => {
  it('refuses the 1,001st connection from one address by default, and takes one again after another left', () => {
    const connections = new ConnectionsPerIp(DEFAULT_SECURITY_LIMITS.maxConnectionsPerIp);
    for (let i = 0; i < 1_000; i++) expect(connections.admit('127.0.0.1')).toBeNull();
    expect(connections.admit('127.0.0.1')).toMatch(/too many connections from this address: at most 1000 at once \(FLOCK_MAX_CONNECTIONS_PER_IP\)/);
    expect(connections.admit('10.0.0.2')).toBeNull();
    connections.release('127.0.0.1');
    expect(connections.admit('127.0.0.1')).toBeNull();
  });

  it('refuses a real connection over the limit with the reason, across namespaces, and gives the place back on disconnect', async () => {
    const first = await open();
    expect(first.outcome).toBe('connected');
    // A connection refused for its token takes no place.
    expect((await open('/admin', 'not-a-token')).outcome).toMatch(/^refused: unauthorized/);
    expect((await open()).outcome).toBe('connected');
    expect((await open('/admin')).outcome).toBe('connected');
    expect((await open()).outcome).toMatch(/^refused: too many connections from this address: at most 3/);
    first.socket.disconnect();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await open()).outcome).toBe('connected');
  });
});
