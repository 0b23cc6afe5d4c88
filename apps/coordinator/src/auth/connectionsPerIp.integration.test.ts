import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, describe, expect, it } from 'vitest';
import { useTestCoordinator } from '../testing/testCoordinator.ts';
import { DEFAULT_SECURITY_LIMITS } from './securityLimits.ts';
import { ConnectionsPerIp } from './socketGuards.ts';

const env = useTestCoordinator('flock-per-ip-', 'per-ip-admin-token', { security: { ...DEFAULT_SECURITY_LIMITS, maxConnectionsPerIp: 3 } });
const sockets: Socket[] = [];

const open = (path = '', token = 'per-ip-admin-token') =>
  new Promise<{ socket: Socket; outcome: string }>((resolve) => {
    const socket = connect(`${env.coordinator.url}${path}`, { transports: ['websocket'], forceNew: true, reconnection: false, auth: path ? { token } : {} });
    sockets.push(socket);
    socket.once('connect', () => resolve({ socket, outcome: 'connected' }));
    socket.once('connect_error', (err) => resolve({ socket, outcome: `refused: ${err.message}` }));
  });

afterAll(() => {
  for (const s of sockets) s.disconnect();
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
