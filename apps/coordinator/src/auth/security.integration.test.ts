import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testFederationConfig } from '@flock/fl-core/testing';
import { SignJWT } from 'jose';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCoordinator, type RunningCoordinator } from '../coordinator.ts';
import { sayHello } from '../testing/deviceSockets.ts';
import type { RouteEntry } from './routeTable.ts';
import { seedDatabase } from '../testing/seededDatabase.ts';

/**
 * Every REST route and socket event, tried with every credential that must not pass: no token, a
 * viewer token (where an admin is needed), a device token of another federation, an expired and a
 * tampered token. Each is refused with the right status and reason, and nothing changes.
 */
const ADMIN = 'security-test-admin-secret';
const admin = { authorization: `Bearer ${ADMIN}` };
let dataDir: string;
let coordinator: RunningCoordinator;
const sockets: Socket[] = [];

const federation = (id: string, join: 'open' | 'enrollment') =>
  testFederationConfig({
    id,
    join,
    model: 'mnist-cnn-small',
    dataset: { kind: 'mnist', partition: 'iid', examplesPerDevice: 20, numDevices: 4, seed: 1 },
    maxRounds: 2,
    quorum: 0.5,
    belowQuorum: 'extend-once',
    evalExamples: 20,
  });

async function call(method: string, path: string, headers: Record<string, string> = {}, body?: unknown) {
  const res = await fetch(`${coordinator.url}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {
    // Prometheus text or a binary body
  }
  return { status: res.status, body: json as { ok?: boolean; reason?: string; token?: string; id?: string } };
}

function socketTo(namespace: string, token?: string): Socket {
  const s = connect(`${coordinator.url}${namespace}`, { transports: ['websocket'], forceNew: true, ...(token === undefined ? {} : { auth: { token } }) });
  sockets.push(s);
  return s;
}

function connected(s: Socket): Promise<{ ok: true } | { ok: false; message: string }> {
  return new Promise((resolve) => {
    s.once('connect', () => resolve({ ok: true }));
    s.once('connect_error', (err) => resolve({ ok: false, message: err.message }));
  });
}

/** Everything a refused act could have changed, read as the admin. */
async function state(): Promise<unknown> {
  const feds = ['open-fed', 'closed-fed', 'demo'];
  return {
    federations: (await call('GET', '/api/federations?archived=true', admin)).body,
    perFederation: await Promise.all(
      feds.map(async (id) => ({
        summary: (await call('GET', `/api/federations/${id}`, admin)).body,
        devices: (await call('GET', `/api/federations/${id}/devices`, admin)).body,
        rounds: (await call('GET', `/api/federations/${id}/rounds`, admin)).body,
        events: (await call('GET', `/api/federations/${id}/events`, admin)).body,
      })),
    ),
    tokens: (await call('GET', '/api/tokens', admin)).body,
  };
}

interface Credentials {
  viewer: string;
  viewerId: string;
  /** Device tokens of closed-fed: the routes below act on open-fed (member routes on closed-fed, see concrete). */
  otherEnrollment: string;
  otherDevice: string;
  openEnrollment: string;
  openDevice: string;
  expired: string;
  tampered: string;
}
let creds: Credentials;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'flock-security-'));
  await seedDatabase(dataDir);
  coordinator = await startCoordinator({ port: 0, host: '127.0.0.1', dataDir, adminToken: ADMIN, logLevel: 'silent' });
  expect((await call('POST', '/api/federations', admin, federation('open-fed', 'open'))).status).toBe(201);
  expect((await call('POST', '/api/federations', admin, federation('closed-fed', 'enrollment'))).status).toBe(201);
  const viewer = await call('POST', '/api/tokens', admin, { role: 'viewer', label: 'auditor' });
  const enrollment = await call('POST', '/api/tokens', admin, { role: 'device', federationId: 'closed-fed', expiresIn: '1h' });
  const openEnrollment = await call('POST', '/api/tokens', admin, { role: 'device', federationId: 'open-fed', expiresIn: '1h' });
  expect([viewer.status, enrollment.status, openEnrollment.status]).toEqual([201, 201, 201]);

  const enrolled = socketTo('/', enrollment.body.token!);
  const enrolledHello = await sayHello(enrolled, 'closed-device-1', 'closed-fed');
  const openSocket = socketTo('/');
  const openHello = await sayHello(openSocket, 'open-device-1', 'open-fed');
  if (!enrolledHello.ok || !openHello.ok || !enrolledHello.credential || !openHello.credential) throw new Error('setup hellos refused');

  const key = new Uint8Array(Buffer.from((await readFile(join(dataDir, 'jwt-key'), 'utf8')).trim(), 'base64url'));
  const past = Math.floor(Date.now() / 1000) - 3600;
  const expired = await new SignJWT({ kind: 'session', role: 'admin' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('flock')
    .setJti('expired-session')
    .setIssuedAt(past - 60)
    .setExpirationTime(past)
    .sign(key);
  const [h, p, sig] = viewer.body.token!.split('.') as [string, string, string];
  const asAdmin = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), role: 'admin', kind: 'session' })).toString('base64url');
  creds = {
    viewer: viewer.body.token!,
    viewerId: viewer.body.id!,
    otherEnrollment: enrollment.body.token!,
    otherDevice: enrolledHello.credential,
    openEnrollment: openEnrollment.body.token!,
    openDevice: openHello.credential,
    expired,
    tampered: `${h}.${asAdmin}.${sig}`,
  };
}, 120_000);

afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await coordinator?.close();
  await rm(dataDir, { recursive: true, force: true });
});

/**
 * A concrete path for a route: acts on open-fed, its bound device, the viewer token; a member route
 * (public for open-join federations) on the enrollment-only closed-fed.
 */
function concrete(route: RouteEntry): string {
  const federation = route.role === 'member' ? 'closed-fed' : 'open-fed';
  return route.path
    .replace(':deviceId', 'open-device-1')
    .replace(':tokenId', creds.viewerId)
    .replace(':id', federation)
    .replace(/:[A-Za-z]+/g, 'x');
}

/** "Another federation" than the one the route acts on. */
const OTHER_FEDERATION =
  /needs the (viewer|admin) role; the token presented is a device token|for federation "closed-fed", not "open-fed"|for federation "open-fed", not "closed-fed"/;

type Case = { name: string; token: (r: RouteEntry) => string | undefined; status: 401 | 403; reason: RegExp; applies: (r: RouteEntry) => boolean };
const CASES: Case[] = [
  { name: 'no token', token: () => undefined, status: 401, reason: /needs a (viewer|admin|device) token/, applies: () => true },
  {
    name: 'a viewer token',
    token: () => creds.viewer,
    status: 403,
    reason: /needs the admin role; the token presented is a viewer token/,
    applies: (r) => r.role === 'admin',
  },
  {
    name: "another federation's enrollment token",
    token: (r) => (r.role === 'member' ? creds.openEnrollment : creds.otherEnrollment),
    status: 403,
    reason: OTHER_FEDERATION,
    applies: () => true,
  },
  {
    name: "another federation's device credential",
    token: (r) => (r.role === 'member' ? creds.openDevice : creds.otherDevice),
    status: 403,
    reason: OTHER_FEDERATION,
    applies: () => true,
  },
  { name: 'an expired token', token: () => creds.expired, status: 401, reason: /^token has expired$/, applies: () => true },
  { name: 'a tampered token', token: () => creds.tampered, status: 401, reason: /^token signature is not valid$/, applies: () => true },
];

describe('security', () => {
  it('finds a declared role, on the first handler, for every route registered on the app', () => {
    expect(coordinator.routes.filter((r) => r.role === null)).toEqual([]);
    const paths = coordinator.routes.map((r) => `${r.method} ${r.path}`);
    for (const known of [
      'POST /api/auth/login',
      'GET /api/federations/:id/shard/:deviceId',
      'POST /api/federations/:id/start',
      'DELETE /api/tokens/:tokenId',
    ]) {
      expect(paths).toContain(known);
    }
  });

  it('refuses every guarded REST route to every bad credential, with status and reason, and changes nothing', async () => {
    const before = await state();
    const guarded = coordinator.routes.filter((r) => r.role !== 'public');
    const outcomes: string[] = [];
    for (const route of guarded) {
      for (const c of CASES.filter((k) => k.applies(route))) {
        const token = c.token(route);
        const res = await call(
          route.method,
          concrete(route),
          token === undefined ? {} : { authorization: `Bearer ${token}` },
          route.method === 'GET' ? undefined : {},
        );
        const ok = res.status === c.status && res.body.ok === false && c.reason.test(res.body.reason ?? '');
        if (!ok) outcomes.push(`${route.method} ${route.path} with ${c.name}: ${res.status} ${JSON.stringify(res.body)}`);
      }
    }
    expect(outcomes).toEqual([]);
    expect(await state()).toEqual(before);
  });

  it("serves an open federation's model to anyone and an enrollment-only one's to its members", async () => {
    const members = coordinator.routes.filter((r) => r.role === 'member');
    expect(members.map((r) => r.path)).toEqual(expect.arrayContaining(['/api/federations/:id/model', '/api/federations/:id/model.flkw']));
    for (const route of members) {
      expect((await call('GET', route.path.replace(':id', 'open-fed'))).status, route.path).toBe(200);
      expect(await call('GET', route.path.replace(':id', 'closed-fed')), route.path).toMatchObject({
        status: 401,
        body: { ok: false, reason: 'federation "closed-fed" is enrollment-only: this needs a device token of it or a viewer token' },
      });
      for (const token of [creds.viewer, creds.otherEnrollment, creds.otherDevice]) {
        expect((await call('GET', route.path.replace(':id', 'closed-fed'), { authorization: `Bearer ${token}` })).status, route.path).toBe(200);
      }
    }
  });

  it("refuses a shard to the enrollment token and to another device's credential", async () => {
    const shard = '/api/federations/open-fed/shard/open-device-1';
    expect(await call('GET', shard, { authorization: `Bearer ${creds.openDevice}` })).toMatchObject({ status: 200 });
    const other = await sayHello(socketTo('/'), 'open-device-2', 'open-fed');
    if (!other.ok) throw new Error(other.reason);
    expect(await call('GET', shard, { authorization: `Bearer ${other.credential}` })).toMatchObject({
      status: 403,
      body: { reason: 'the credential presented belongs to device open-device-2, not open-device-1' },
    });
  });

  it('refuses socket connections with a bad token on both namespaces, and a viewer as a device', async () => {
    const before = await state();
    const refusals: Array<[string, string | undefined, RegExp]> = [
      ['/', creds.expired, /^unauthorized: token has expired$/],
      ['/', creds.tampered, /^unauthorized: token signature is not valid$/],
      ['/', creds.viewer, /^unauthorized: this needs the device role; the token presented is a viewer token$/],
      ['/admin', undefined, /^unauthorized: an admin or viewer token is required$/],
      ['/admin', creds.expired, /^unauthorized: token has expired$/],
      ['/admin', creds.tampered, /^unauthorized: token signature is not valid$/],
      ['/admin', creds.otherDevice, /^unauthorized: this needs the viewer role; the token presented is a device token$/],
      ['/admin', creds.otherEnrollment, /^unauthorized: this needs the viewer role; the token presented is a device token$/],
    ];
    for (const [namespace, token, reason] of refusals) {
      const result = await connected(socketTo(namespace, token));
      expect(result, `${namespace} with ${token?.slice(0, 12)}`).toMatchObject({ ok: false, message: expect.stringMatching(reason) });
    }
    const viewer = socketTo('/admin', creds.viewer);
    expect(await connected(viewer)).toEqual({ ok: true });
    expect(await viewer.emitWithAck('subscribe', { federationId: 'open-fed' })).toEqual({ ok: true });
    expect(await viewer.timeout(5_000).emitWithAck('no-such-event', {})).toEqual({ ok: false, reason: expect.stringContaining('needs the admin role') });
    expect(await state()).toEqual(before);
  });

  it('refuses a hello that impersonates a bound device, joins another federation, or skips enrollment; nothing changes', async () => {
    const before = await state();
    const refused = async (token: string | undefined, deviceId: string, federationId: string, reason: RegExp) => {
      const s = socketTo('/', token);
      expect(await connected(s)).toEqual({ ok: true });
      const reply = await sayHello(s, deviceId, federationId);
      expect(reply, `${deviceId} in ${federationId}`).toMatchObject({ ok: false, reason: expect.stringMatching(reason) });
      // Nothing else the connection sends counts either.
      const update = { federationId, round: 1, numExamples: 10, metrics: { loss: 1, accuracy: 0.5 }, payload: new Uint8Array(8) };
      for (const [event, msg] of [
        ['status', { state: 'idle' }],
        ['update', update],
        ['update:begin', { ...update, payload: undefined, totalBytes: 8, chunkBytes: 8 }],
        ['update:chunk', { index: 0 }],
        ['model:chunk', { federationId, round: 1, hash: '00000000', offset: 0 }],
      ] as const) {
        expect(await s.timeout(5_000).emitWithAck(event, msg), event).toMatchObject({ ok: false, reason: expect.stringMatching(/say hello|malformed/) });
      }
      s.disconnect();
    };
    await refused(undefined, 'open-device-1', 'open-fed', /device id open-device-1 is bound to a device credential/);
    await refused(creds.otherDevice, 'open-device-1', 'open-fed', /for federation "closed-fed", not "open-fed"/);
    await refused(creds.openDevice, 'open-device-9', 'open-fed', /belongs to device open-device-1, not open-device-9/);
    await refused(undefined, 'closed-device-9', 'closed-fed', /enrollment-only/);
    await refused(creds.otherEnrollment, 'closed-device-1', 'closed-fed', /device id closed-device-1 is bound/);
    await refused(creds.openDevice, 'closed-device-9', 'closed-fed', /for federation "open-fed", not "closed-fed"/);
    expect(await state()).toEqual(before);
  });

  it("refuses a hello whose own data would outweigh the federation's bound, and logs why", async () => {
    const s = socketTo('/');
    expect(await connected(s)).toEqual({ ok: true });
    const reply = await sayHello(s, 'inflated-device', 'open-fed', { dataSource: { kind: 'own', numExamples: 100_000_000 } });
    const reason =
      'federation open-fed counts at most 100,000 examples per device (maxExamplesPerDevice); this device declares 100,000,000: train on fewer, or ask the operator to raise the bound';
    expect(reply).toEqual({ ok: false, reason });
    const devices = (await call('GET', '/api/federations/open-fed/devices', admin)).body as unknown as Array<{ deviceId: string }>;
    expect(devices.map((d) => d.deviceId)).not.toContain('inflated-device');
    const events = (await call('GET', '/api/federations/open-fed/events?kind=device-refused', admin)).body as unknown as Array<{
      message: string;
      deviceId: string;
    }>;
    expect(events).toContainEqual(expect.objectContaining({ message: reason, deviceId: 'inflated-device' }));
  });

  it('lets a device with its credential rejoin, and an enrollment token bring a new device', async () => {
    const again = socketTo('/', creds.openDevice);
    expect(await sayHello(again, 'open-device-1', 'open-fed')).toMatchObject({ ok: true });
    const fresh = await sayHello(socketTo('/', creds.otherEnrollment), 'closed-device-2', 'closed-fed');
    expect(fresh).toMatchObject({ ok: true, credential: expect.any(String) });
  });
});
