import type { PGlite } from '@electric-sql/pglite';
import type { EventLogEntry } from '@flock/fl-core';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { FederationStore } from './federationStore.ts';
import { useTestDatabase } from './testDatabase.ts';

const test = useTestDatabase('flock-events-');

const rejection = (federationId: string, deviceId: string, at: number): EventLogEntry => ({
  at: new Date(at).toISOString(),
  federationId,
  level: 'warn',
  kind: 'update-rejected',
  message: 'update for round 1 rejected: the device was not selected for round 1',
  deviceId,
});

describe('the event log under a flood', () => {
  it('folds 500 identical rejections from one device into one row with its count and first time', async () => {
    const store = new FederationStore(test.db);
    const start = Date.UTC(2025, 0, 1);
    for (let i = 0; i < 500; i++) store.appendEvent(rejection('flood', 'device-a', start + i * 10));
    const events = await store.listEvents('flood');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ count: 500, firstAt: new Date(start).toISOString(), at: new Date(start + 4_990).toISOString() });
    await store.close();
  });

  it('keeps each device its own row, and a different event in between starts a new row', async () => {
    const store = new FederationStore(test.db);
    const start = Date.UTC(2025, 0, 2);
    store.appendEvent(rejection('apart', 'device-a', start));
    store.appendEvent(rejection('apart', 'device-b', start + 1));
    store.appendEvent(rejection('apart', 'device-a', start + 2));
    store.appendEvent({ ...rejection('apart', 'device-a', start + 3), kind: 'device-offline', message: 'device disconnected', level: 'info' });
    store.appendEvent(rejection('apart', 'device-a', start + 4));
    const events = await store.listEvents('apart');
    expect(events.map((e) => [e.deviceId, e.kind, e.count ?? 1])).toEqual([
      ['device-a', 'update-rejected', 2],
      ['device-b', 'update-rejected', 1],
      ['device-a', 'device-offline', 1],
      ['device-a', 'update-rejected', 1],
    ]);
    await store.close();
  });

  it('prunes rows beyond the per-federation limit and rows older than the age limit', async () => {
    const store = new FederationStore(test.db, { limits: { maxRowsPerFederation: 3, maxAgeDays: 30 } });
    const now = Date.now();
    store.appendEvent({ ...rejection('kept', 'old', now - 40 * 86_400_000) });
    for (let i = 0; i < 5; i++) store.appendEvent(rejection('kept', `device-${i}`, now + i));
    expect(await store.pruneEvents()).toBeGreaterThanOrEqual(3);
    const events = await store.listEvents('kept');
    expect(events.map((e) => e.deviceId)).toEqual(['device-2', 'device-3', 'device-4']);
    await store.close();
  });

  it('answers a listing during a flood without waiting for the flood to end', async () => {
    // Each batch takes a few milliseconds, as on a busy disk, so the flood goes on while batches are written.
    const slowDb = new Proxy(test.db, {
      get: (target, key) => {
        if (key === 'transaction') return async (...args: Parameters<PGlite['transaction']>) => (await sleep(5), target.transaction(...args));
        const value = Reflect.get(target, key) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const store = new FederationStore(slowDb);
    const start = Date.UTC(2025, 0, 3);
    store.appendEvent(rejection('busy', 'before', start));
    let listed = false;
    const listing = store.listEvents('busy', 10).then((events) => {
      listed = true;
      return events;
    });
    let appended = 0;
    while (!listed && appended < 3_000) {
      store.appendEvent(rejection('busy', `flood-${appended}`, start + ++appended));
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(listed).toBe(true);
    expect((await listing).map((e) => e.deviceId)).toContain('before');
    await store.close();
  });

  it('drops new rows beyond 1,000 waiting for the database, and says how many', async () => {
    const store = new FederationStore(test.db);
    const start = Date.UTC(2025, 0, 4);
    for (let i = 0; i < 3_000; i++) store.appendEvent(rejection('lagging', `device-${i}`, start + i));
    const events = await store.listEvents('lagging', 5_000);
    expect(events).toHaveLength(1 + 1_000 + 1);
    expect(events.at(-1)).toMatchObject({ kind: 'events-dropped', level: 'warn', message: expect.stringMatching(/^1999 events were not written/) });
    await store.close();
  });
});
