import { DEFAULT_CODEC, LEGACY_CODEC, roundCodecOf, type FederationConfig } from '@flock/fl-core';
import { testFederationConfig } from '@flock/fl-core/testing';
import { describe, expect, it } from 'vitest';
import { FederationStore } from './federationStore.ts';
import { useTestDatabase } from './testDatabase.ts';

const config: FederationConfig = testFederationConfig({
  id: 'fed',
  name: 'a federation',
  dataset: { kind: 'mnist', partition: 'iid', examplesPerDevice: 50, seed: 1 },
  evalExamples: 10,
});

const test = useTestDatabase('flock-store-');

describe('FederationStore codecs', () => {
  it('keeps float32 for a federation stored before codecs, and gives new ones the compact default', async () => {
    // Stored by a coordinator that predates codecs: the config has no `codec` key at all.
    await test.db.query(`insert into federations (id, config, status, round) values ('old', $1, 'idle', 3)`, [JSON.stringify({ ...config, id: 'old' })]);
    const store = new FederationStore(test.db);
    await store.createFederation({ ...config, id: 'new' }, new Uint8Array(4));
    const loaded = new Map((await store.listFederations()).map((f) => [f.config.id, f.config]));
    expect(loaded.get('old')!.codec).toEqual(LEGACY_CODEC);
    expect(roundCodecOf(loaded.get('old')!)).toEqual({ uplink: 'float32' });
    expect(loaded.get('new')!.codec).toEqual(DEFAULT_CODEC);
    expect(roundCodecOf(loaded.get('new')!)).toEqual({ uplink: 'int8' });
  });
});
