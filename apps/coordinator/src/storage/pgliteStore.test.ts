import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PGlite } from '@electric-sql/pglite';
import { DEFAULT_CODEC, LEGACY_CODEC, roundCodecOf, type FederationConfig } from '@flock/fl-core';
import { testFederationConfig } from '@flock/fl-core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from './pglite/database.ts';
import { pgliteClient } from './pglite/pgliteClient.ts';
import { SqlStore } from './sql/sqlStore.ts';
import { rejection, storeContract } from './storeContract.ts';

// One cluster for the whole file (creating one takes seconds); each test takes its own federation ids.
let dataDir: string;
let db: PGlite;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'flock-store-'));
  db = await openDatabase(dataDir);
});
afterAll(async () => {
  await db?.close();
  await rm(dataDir, { recursive: true, force: true });
});

storeContract('pglite', async (options) => new SqlStore(pgliteClient(db), options));

describe('SqlStore on PGlite', () => {
  const config: FederationConfig = testFederationConfig({
    id: 'fed',
    name: 'a federation',
    dataset: { kind: 'mnist', partition: 'iid', examplesPerDevice: 50, seed: 1 },
    evalExamples: 10,
  });

  it('keeps float32 for a federation stored before codecs, and gives new ones the compact default', async () => {
    // Stored by a coordinator that predates codecs: the config has no `codec` key at all.
    await db.query(`insert into federations (id, config, status, round) values ('old', $1, 'idle', 3)`, [JSON.stringify({ ...config, id: 'old' })]);
    const store = new SqlStore(pgliteClient(db));
    await store.federations.create({ ...config, id: 'new' }, new Uint8Array(4));
    const loaded = new Map((await store.federations.list()).map((f) => [f.config.id, f.config]));
    expect(loaded.get('old')!.codec).toEqual(LEGACY_CODEC);
    expect(roundCodecOf(loaded.get('old')!)).toEqual({ uplink: 'float32' });
    expect(loaded.get('new')!.codec).toEqual(DEFAULT_CODEC);
    expect(roundCodecOf(loaded.get('new')!)).toEqual({ uplink: 'int8' });
    await store.close();
  });

  it('answers an event listing during a flood without waiting for the flood to end', async () => {
    // Each batch takes a few milliseconds, as on a busy disk, so the flood goes on while batches are written.
    const slowDb = new Proxy(db, {
      get: (target, key) => {
        if (key === 'transaction') return async (...args: Parameters<PGlite['transaction']>) => (await sleep(5), target.transaction(...args));
        const value = Reflect.get(target, key) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const store = new SqlStore(pgliteClient(slowDb));
    const start = Date.UTC(2025, 0, 3);
    store.events.append(rejection('busy', 'before', start));
    let listed = false;
    const listing = store.events.recent('busy', 10).then((events) => {
      listed = true;
      return events;
    });
    let appended = 0;
    while (!listed && appended < 3_000) {
      store.events.append(rejection('busy', `flood-${appended}`, start + ++appended));
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(listed).toBe(true);
    expect((await listing).map((e) => e.deviceId)).toContain('before');
    await store.close();
  });
});
