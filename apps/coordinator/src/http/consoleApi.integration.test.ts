import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConsoleSnapshot, type DeviceInfo, type DeviceRoundBytes, type EventLogEntry, type Page, type RoundRecord, type RoundSeries } from '@flock/fl-core';
import { io as connect } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDataDir } from '../../../../e2e/support/seedFederation.ts';
import { startCoordinator, type RunningCoordinator } from '../coordinator.ts';

/** The console's paged routes on a real coordinator started on a seeded data dir. */
const TOKEN = 'console-api-admin-secret';
let dir: string;
let coordinator: RunningCoordinator;
let federation: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flock-console-api-'));
  ({ federationId: federation } = await seedDataDir(join(dir, 'data'), { devices: 150, rounds: 30, participantsPerRound: 5 }));
  coordinator = await startCoordinator({ port: 0, host: '127.0.0.1', dataDir: join(dir, 'data'), adminToken: TOKEN, logLevel: 'silent' });
}, 120_000);

afterAll(async () => {
  await coordinator?.close();
  await rm(dir, { recursive: true, force: true });
});

async function get<T>(path: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`${coordinator.url}/api/federations/${federation}/${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  return { status: res.status, body: (await res.json()) as T };
}

async function walk<T>(path: string): Promise<T[][]> {
  const pages: T[][] = [];
  let cursor: string | null = null;
  do {
    const { status, body }: { status: number; body: Page<T> } = await get<Page<T>>(`${path}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(status).toBe(200);
    pages.push(body.items);
    cursor = body.nextCursor;
  } while (cursor);
  return pages;
}

describe('console REST pages', () => {
  it('pages devices: default 50, total, every device once, sorted and filtered', async () => {
    const first = await get<Page<DeviceInfo>>('devices?paged=true');
    expect(first.body.items).toHaveLength(50);
    expect(first.body.total).toBe(150);
    const all = (await walk<DeviceInfo>('devices?paged=true&limit=40&sort=examples')).flat();
    expect(new Set(all.map((d) => d.deviceId)).size).toBe(150);
    expect(all.map((d) => d.examples)).toEqual([...all.map((d) => d.examples)].sort((a, b) => a - b));
    const wasm = await get<Page<DeviceInfo>>('devices?paged=true&filter=WASM&limit=100');
    expect(wasm.body.total).toBe(50);
    expect(wasm.body.items.every((d) => d.backend === 'wasm')).toBe(true);
  });

  it('pages rounds newest first by default, with the closedBy filter', async () => {
    const first = await get<Page<RoundRecord>>('rounds?paged=true&limit=10');
    expect(first.body.items.map((r) => r.round)).toEqual([30, 29, 28, 27, 26, 25, 24, 23, 22, 21]);
    expect(first.body.total).toBe(30);
    const deadline = await get<Page<RoundRecord>>('rounds?paged=true&closedBy=deadline&sort=round');
    expect(deadline.body.items.map((r) => r.round)).toEqual([9, 18, 27]);
    // Without paged=true the route keeps its full answer (CLI, scripts).
    expect((await get<RoundRecord[]>('rounds')).body).toHaveLength(30);
  });

  it('pages events newest first with a cursor that new events do not shift', async () => {
    const first = await get<Page<EventLogEntry>>('events?paged=true&limit=20&kind=round-closed,round-started');
    expect(first.body.total).toBe(60);
    // A new event arriving between pages (the operator acts) must not repeat or skip a row of page 2.
    await fetch(`${coordinator.url}/api/federations/${federation}/archive`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    const pages = await walk<EventLogEntry>('events?paged=true&limit=20&kind=round-closed,round-started');
    const messages = pages.flat().map((e) => e.message);
    expect(new Set(messages).size).toBe(60);
    expect(messages[0]).toMatch(/^round 30 closed/);
    const text = await get<Page<EventLogEntry>>('events?paged=true&filter=DEVICE-0042');
    expect(text.body.items.map((e) => e.deviceId)).toEqual(['device-0042']);
  });

  it('pages device bytes, one round at a time', async () => {
    const round = await get<Page<DeviceRoundBytes>>('device-bytes?paged=true&round=7&sort=deviceId');
    expect(round.body.total).toBe(5);
    expect(round.body.items.every((b) => b.round === 7 && b.bytesUp > 0)).toBe(true);
    const all = (await walk<DeviceRoundBytes>('device-bytes?paged=true&limit=100')).flat();
    expect(all).toHaveLength(150);
    expect(all[0]!.round).toBe(30);
    // Round 25 was seeded as paused once and redone: its called-off traffic stays apart.
    const redone = await get<Page<DeviceRoundBytes>>('device-bytes?paged=true&round=25');
    expect(redone.body.items.every((b) => (b.abandonedBytesDown ?? 0) > 0 && b.bytesDown! > 0)).toBe(true);
  });

  it('gives the charts every round, or buckets beyond maxPoints', async () => {
    expect((await get<RoundSeries>('round-series')).body.points).toHaveLength(30);
    const bucketed = (await get<RoundSeries>('round-series?maxPoints=7')).body;
    expect(bucketed.rounds).toBe(30);
    expect(bucketed.points.at(-1)!.round).toBe(30);
    expect(bucketed.points.length).toBeLessThanOrEqual(7);
    expect(bucketed.points.reduce((sum, p) => sum + p.abandonedBytesDown, 0)).toBeGreaterThan(0);
  });

  it('sends the console a slim snapshot: counts and the last round, no device or round list', async () => {
    const socket = connect(`${coordinator.url}/admin`, { transports: ['websocket'], forceNew: true, auth: { token: TOKEN } });
    try {
      const snapshot = new Promise<unknown>((resolve) => socket.once('snapshot', resolve));
      const ack = await socket.emitWithAck('subscribe', { federationId: federation });
      expect(ack).toEqual({ ok: true });
      const raw = await snapshot;
      expect(Object.keys(raw as object).sort()).toEqual(['deviceCounts', 'federation', 'lastRound']);
      const slim = ConsoleSnapshot.parse(raw);
      expect(slim.deviceCounts).toEqual({ total: 150, online: 0, training: 0 });
      expect(slim.lastRound?.round).toBe(30);
      expect(JSON.stringify(raw).length).toBeLessThan(4_000);
    } finally {
      socket.disconnect();
    }
  });

  it('answers a bad query with 400 and a sentence', async () => {
    for (const path of [
      'devices?paged=true&limit=101',
      'devices?paged=true&limit=0',
      'rounds?paged=true&sort=colour',
      'events?paged=true&level=loud',
      'device-bytes?paged=true&round=-1',
      'rounds?paged=true&cursor=bogus',
      'events?paged=true&cursor=bogus',
      'round-series?maxPoints=5000',
      'devices?paged=true&unknown=1',
    ]) {
      const { status, body } = await get<{ reason: string }>(path);
      expect(status, path).toBe(400);
      expect(body.reason, path).toMatch(/^This request was refused: [A-Za-z].*\.$/);
      expect(body.reason, path).not.toMatch(/Too (small|big)|expected (string|number)|>=|NaN|undefined/);
    }
  });
});
