import type { IncomingMessage } from 'node:http';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, describe, expect, it } from 'vitest';
import { useTestCoordinator } from '../testing/testCoordinator.ts';
import { DEFAULT_SECURITY_LIMITS } from './securityLimits.ts';
import { ConnectionsPerIp } from './socketGuards.ts';

// Behind a load balancer every client arrives from the balancer's address; trusted, its X-Forwarded-For names the client.
const env = useTestCoordinator('flock-trusted-proxies-', 'trusted-proxies-admin-token', {
  security: { ...DEFAULT_SECURITY_LIMITS, maxConnectionsPerIp: 2, restRequestsPerMinute: 3, trustedProxies: ['loopback'] },
});
const sockets: Socket[] = [];

/** A device connection that the balancer forwards for `client`. */
const openFor = (client: string) =>
  new Promise<string>((resolve) => {
    const socket = connect(env.coordinator.url, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      extraHeaders: { 'x-forwarded-for': client },
    });
    sockets.push(socket);
    socket.once('connect', () => resolve('connected'));
    socket.once('connect_error', (err) => resolve(`refused: ${err.message}`));
  });

const healthFor = async (client: string) => (await fetch(`${env.coordinator.url}/api/health`, { headers: { 'x-forwarded-for': client } })).status;

const request = (peer: string, forwardedFor?: string) =>
  ({ socket: { remoteAddress: peer }, headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {} }) as unknown as IncomingMessage;

afterAll(() => {
  for (const s of sockets) s.disconnect();
});

describe('trusted proxies (FLOCK_TRUSTED_PROXIES)', () => {
  it('takes the client from X-Forwarded-For only when a trusted balancer sent it, and only as far as the trusted hops go', () => {
    const untrusting = new ConnectionsPerIp(10);
    expect(untrusting.clientOf(request('198.51.100.9', '203.0.113.7'))).toBe('198.51.100.9');
    const behindBalancer = new ConnectionsPerIp(10, ['loopback']);
    expect(behindBalancer.clientOf(request('127.0.0.1', '203.0.113.7'))).toBe('203.0.113.7');
    expect(behindBalancer.clientOf(request('198.51.100.9', '203.0.113.7'))).toBe('198.51.100.9');
    // A client that writes its own X-Forwarded-For before the balancer's hop cannot pass for someone else.
    expect(behindBalancer.clientOf(request('127.0.0.1', '10.9.9.9, 203.0.113.7'))).toBe('203.0.113.7');
  });

  it('counts Socket.IO connections per forwarded client, not per balancer', async () => {
    expect(await openFor('203.0.113.7')).toBe('connected');
    expect(await openFor('203.0.113.7')).toBe('connected');
    expect(await openFor('203.0.113.7')).toMatch(/^refused: too many connections from this address: at most 2/);
    expect(await openFor('203.0.113.8')).toBe('connected');
  });

  it('rate-limits REST requests per forwarded client, not per balancer', async () => {
    for (let i = 0; i < 3; i++) expect(await healthFor('203.0.113.7')).toBe(200);
    expect(await healthFor('203.0.113.7')).toBe(429);
    expect(await healthFor('203.0.113.8')).toBe(200);
  });
});
