import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, describe, expect, it } from 'vitest';
import { useTestCoordinator } from '../testing/testCoordinator.ts';
import { DEFAULT_SECURITY_LIMITS } from './securityLimits.ts';

const ALLOWED = 'https://lab.example.org';
const env = useTestCoordinator('flock-limits-', 'limits-test-admin-secret', {
  security: {
    ...DEFAULT_SECURITY_LIMITS,
    restRequestsPerMinute: 5,
    socketEventBurst: 3,
    socketEventsPerSecond: 0.01,
    maxSocketMessageBytes: 4_096,
    corsOrigins: [ALLOWED],
  },
});
const sockets: Socket[] = [];

function socket(options: { origin?: string } = {}): Socket {
  const s = connect(env.coordinator.url, {
    transports: ['websocket'],
    forceNew: true,
    ...(options.origin ? { extraHeaders: { origin: options.origin } } : {}),
  });
  sockets.push(s);
  return s;
}

const outcome = (s: Socket) =>
  new Promise<string>((resolve) => {
    s.once('connect', () => resolve('connected'));
    s.once('connect_error', (err) => resolve(`refused: ${err.message}`));
  });

afterAll(() => {
  for (const s of sockets) s.disconnect();
});

describe('security limits', () => {
  it('refuses a socket from a page of another origin, and takes one from the allowlist or with no Origin (Node)', async () => {
    expect(await outcome(socket({ origin: 'https://evil.example' }))).toMatch(/^refused/);
    expect(await outcome(socket({ origin: ALLOWED }))).toBe('connected');
    expect(await outcome(socket())).toBe('connected');
  });

  it('answers events over the connection budget with the reason', async () => {
    const s = socket();
    await outcome(s);
    const replies = [];
    for (let i = 0; i < 4; i++) replies.push(await s.timeout(5_000).emitWithAck('status', { state: 'idle' }));
    expect(replies.slice(0, 3)).toEqual(Array(3).fill({ ok: false, reason: 'say hello before sending status' }));
    expect(replies[3]).toEqual({ ok: false, reason: expect.stringMatching(/^too many events on this connection/) });
  });

  it('closes a connection that sends a message over the size cap', async () => {
    const s = socket();
    await outcome(s);
    const closed = new Promise<string>((resolve) => s.once('disconnect', resolve));
    s.emit('status', { state: 'idle', detail: 'x'.repeat(10_000) });
    expect(await closed).toMatch(/transport (close|error)/);
  });

  it('sends security headers and CORS only for the allowlist, then limits REST requests per IP with a reason', async () => {
    const allowed = await fetch(`${env.coordinator.url}/api/health`, { headers: { origin: ALLOWED } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(allowed.headers.get('content-security-policy')).toContain("default-src 'self'");
    const foreign = await fetch(`${env.coordinator.url}/api/health`, { headers: { origin: 'https://evil.example' } });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await fetch(`${env.coordinator.url}/api/health`)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await fetch(`${env.coordinator.url}/api/health`);
    expect(await limited.json()).toEqual({ ok: false, reason: expect.stringMatching(/^too many requests from this address; at most 5 a minute/) });
  });
});
