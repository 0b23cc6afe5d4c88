import { DEFAULT_CODEC, FedAvgAccumulator, roundCodecOf, type EventLogEntry, type FederationConfig, type RoundRecord } from '@flock/fl-core';
import { testFederationConfig } from '@flock/fl-core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { QueryRecord } from '../analytics/queryRecord.ts';
import {
  LeaseLostError,
  type CoordinatorStore,
  type CountedUpdate,
  type LeaseFence,
  type NewDevice,
  type RoundTraffic,
  type SharedRound,
  type StoreOptions,
  type StoredDevice,
} from './store.ts';

/** Opens a store to test; a store over a database kept between tests needs only fresh federation ids, which each test takes. */
export type OpenStore = (options?: StoreOptions) => Promise<CoordinatorStore>;

let lastId = 0;
/** An id no earlier test in this file used: stores may keep one database for a whole file. */
const freshId = (name: string) => `${name}-${++lastId}`;

const configOf = (id: string, overrides: Partial<FederationConfig> = {}): FederationConfig =>
  testFederationConfig({
    id,
    name: 'a federation',
    dataset: { kind: 'mnist', partition: 'iid', examplesPerDevice: 50, seed: 1 },
    evalExamples: 10,
    ...overrides,
  });

const bytes = (...values: number[]) => new Uint8Array(values);

const roundRecord = (round: number, overrides: Partial<RoundRecord> = {}): RoundRecord => ({
  round,
  participants: 2,
  examples: 100,
  accuracy: 0.5,
  loss: 1.2,
  trainLoss: 1.1,
  trainAccuracy: 0.4,
  durationMs: 1500,
  bytesUp: 20,
  bytesDown: 40,
  rejected: 0,
  completedAt: new Date(Date.UTC(2026, 0, 1, 0, round)).toISOString(),
  closedBy: 'all-answered',
  deadlineMs: 30_000,
  extended: false,
  meanStaleness: null,
  epsilon: null,
  ...overrides,
});

const device = (deviceId: string, shardIndex: number, overrides: Partial<StoredDevice> = {}): StoredDevice => ({
  deviceId,
  shardIndex,
  backend: 'cpu',
  adapter: null,
  roundsContributed: 0,
  examples: 50,
  lastSeen: new Date(Date.UTC(2026, 0, 1)),
  ...overrides,
});

export const rejection = (federationId: string, deviceId: string, at: number): EventLogEntry => ({
  at: new Date(at).toISOString(),
  federationId,
  level: 'warn',
  kind: 'update-rejected',
  message: 'update for round 1 rejected: the device was not selected for round 1',
  deviceId,
});

/**
 * What every CoordinatorStore must do, registered as one describe block for `name`. Each
 * implementation's test file calls this with a way to open one (memoryStore.test.ts, pgliteStore.test.ts).
 */
export function storeContract(name: string, open: OpenStore): void {
  describe(`${name} store`, () => {
    let store: CoordinatorStore;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    /** A stored federation with two devices on shards 0 and 1. */
    async function federationWithDevices(): Promise<string> {
      const id = freshId('fed');
      await store.federations.create(configOf(id), bytes(0));
      await store.devices.upsert(id, device('a', 0));
      await store.devices.upsert(id, device('b', 1));
      return id;
    }

    describe('federations', () => {
      it('stores a new federation idle at round 0 with its initial model, and gives it the compact default codec', async () => {
        const id = freshId('new');
        await store.federations.create(configOf(id), bytes(1, 2, 3));
        const stored = (await store.federations.list()).find((f) => f.config.id === id)!;
        expect(stored).toMatchObject({ status: 'idle', round: 0, config: { ...configOf(id), codec: DEFAULT_CODEC } });
        expect(stored.config.codec).toEqual(DEFAULT_CODEC);
        expect(roundCodecOf(stored.config)).toEqual({ uplink: 'int8' });
        expect(await store.models.latest(id)).toEqual({ round: 0, bytes: bytes(1, 2, 3), serverState: null });
      });

      it('lists federations oldest first', async () => {
        const [first, second] = [freshId('first'), freshId('second')];
        await store.federations.create(configOf(first), bytes(0));
        await store.federations.create(configOf(second), bytes(0));
        const ids = (await store.federations.list()).map((f) => f.config.id);
        expect(ids.indexOf(first)).toBeLessThan(ids.indexOf(second));
      });

      it('refuses a second federation with the same id and keeps the first as it was', async () => {
        const id = freshId('taken');
        await store.federations.create(configOf(id, { name: 'the first' }), bytes(1));
        await expect(store.federations.create(configOf(id, { name: 'the second' }), bytes(2))).rejects.toThrow();
        expect((await store.federations.list()).filter((f) => f.config.id === id).map((f) => f.config.name)).toEqual(['the first']);
        expect((await store.models.latest(id))?.bytes).toEqual(bytes(1));
      });

      it('keeps a status and an archive mark', async () => {
        const id = freshId('marked');
        await store.federations.create(configOf(id), bytes(0));
        await store.federations.setStatus(id, 'paused');
        await store.federations.setArchived(id, true);
        expect((await store.federations.list()).find((f) => f.config.id === id)?.status).toBe('paused');
        expect(await store.federations.archivedIds()).toContain(id);
        await store.federations.setArchived(id, false);
        expect(await store.federations.archivedIds()).not.toContain(id);
      });

      it('replaces the config and the round-0 model of a federation that never ran, and of no other', async () => {
        const id = freshId('edited');
        await store.federations.create(configOf(id), bytes(1));
        expect(await store.federations.replaceConfigIfUnstarted(configOf(id, { name: 'renamed' }), bytes(2))).toBe(true);
        expect((await store.federations.list()).find((f) => f.config.id === id)?.config.name).toBe('renamed');
        expect((await store.models.latest(id))?.bytes).toEqual(bytes(2));

        await store.federations.setStatus(id, 'waiting');
        expect(await store.federations.replaceConfigIfUnstarted(configOf(id, { name: 'too late' }), bytes(3))).toBe(false);
        await store.federations.setStatus(id, 'idle');
        await store.rounds.save(id, roundRecord(1), { bytes: bytes(4), serverState: null }, []);
        expect(await store.federations.replaceConfigIfUnstarted(configOf(id, { name: 'too late' }), bytes(3))).toBe(false);
        expect((await store.federations.list()).find((f) => f.config.id === id)?.config.name).toBe('renamed');
        expect(await store.federations.replaceConfigIfUnstarted(configOf(freshId('unknown')), bytes(3))).toBe(false);
      });
    });

    describe('rounds and models', () => {
      it('saves a round with its model, server state, round counter and contributions together', async () => {
        const id = await federationWithDevices();
        const serverState = new Float64Array([0.1, -2.5, 1e-300]);
        // Device a folded in twice (two trained rounds, as FedBuff does) still contributed to one round.
        const contributions = [
          { deviceId: 'a', round: 1, bytesUp: 10, bytesDown: 30 },
          { deviceId: 'a', round: 0, bytesUp: 11, bytesDown: 31 },
          { deviceId: 'b', round: 1, bytesUp: 12, bytesDown: 32, abandonedBytesUp: 5, abandonedBytesDown: 6 },
        ];
        const record = roundRecord(1, { abandonedBytesUp: 5, abandonedBytesDown: 6, epsilon: 0.7 });
        await store.rounds.save(id, record, { bytes: bytes(9, 9), serverState }, contributions);

        expect(await store.rounds.list(id)).toEqual([record]);
        expect((await store.federations.list()).find((f) => f.config.id === id)?.round).toBe(1);
        const latest = await store.models.latest(id);
        expect(latest).toMatchObject({ round: 1, bytes: bytes(9, 9) });
        expect(latest?.serverState).toBeInstanceOf(Float64Array);
        expect([...latest!.serverState!]).toEqual([...serverState]);
        expect((await store.devices.list(id)).map((d) => [d.deviceId, d.roundsContributed])).toEqual([
          ['a', 1],
          ['b', 1],
        ]);
        expect(await store.rounds.contributionsSince(id, 0)).toEqual(
          expect.arrayContaining(contributions.map((c) => ({ deviceId: c.deviceId, round: c.round }))),
        );
        expect(await store.rounds.contributionsSince(id, 1)).toEqual([]);
      });

      it('reads back what a round left out: no epsilon as null, no abandoned traffic as absent', async () => {
        const id = await federationWithDevices();
        const { epsilon: _, ...withoutEpsilon } = roundRecord(1, { closedBy: null, deadlineMs: null, meanStaleness: 2.5, trainAccuracy: null });
        await store.rounds.save(id, withoutEpsilon, { bytes: bytes(1), serverState: null }, []);
        expect(await store.rounds.list(id)).toEqual([{ ...withoutEpsilon, epsilon: null }]);
        expect((await store.models.latest(id))?.serverState).toBeNull();
      });

      it('refuses a round already saved and writes nothing of the second attempt', async () => {
        const id = await federationWithDevices();
        await store.rounds.save(id, roundRecord(1), { bytes: bytes(1), serverState: null }, [{ deviceId: 'a', round: 1, bytesUp: 1, bytesDown: 2 }]);
        await expect(
          store.rounds.save(id, roundRecord(1, { participants: 9 }), { bytes: bytes(2), serverState: null }, [
            { deviceId: 'b', round: 1, bytesUp: 1, bytesDown: 2 },
          ]),
        ).rejects.toThrow();
        expect((await store.rounds.list(id)).map((r) => r.participants)).toEqual([2]);
        expect((await store.models.latest(id))?.bytes).toEqual(bytes(1));
        expect((await store.devices.list(id)).map((d) => d.roundsContributed)).toEqual([1, 0]);
        expect(await store.rounds.contributionsSince(id, 0)).toEqual([{ deviceId: 'a', round: 1 }]);
      });

      it('saves a round once when two coordinators save it at the same time, keeping one attempt whole', async () => {
        const id = await federationWithDevices();
        const attempts = (['a', 'b'] as const).map((deviceId, i) => ({
          record: roundRecord(1, { participants: 1, examples: 10 + i }),
          model: { bytes: bytes(i + 1), serverState: null },
          contributions: [{ deviceId, round: 1, bytesUp: 1, bytesDown: 2 }],
        }));
        const outcomes = await Promise.allSettled(attempts.map((a) => store.rounds.save(id, a.record, a.model, a.contributions)));
        expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
        const kept = attempts[outcomes.findIndex((o) => o.status === 'fulfilled')]!;
        expect(await store.rounds.list(id)).toEqual([kept.record]);
        expect((await store.models.latest(id))?.bytes).toEqual(kept.model.bytes);
        expect(await store.rounds.contributionsSince(id, 0)).toEqual([{ deviceId: kept.contributions[0]!.deviceId, round: 1 }]);
        expect((await store.devices.list(id)).map((d) => [d.deviceId, d.roundsContributed])).toEqual([
          ['a', kept.contributions[0]!.deviceId === 'a' ? 1 : 0],
          ['b', kept.contributions[0]!.deviceId === 'b' ? 1 : 0],
        ]);
        expect((await store.federations.list()).find((f) => f.config.id === id)?.round).toBe(1);
      });

      it('lists rounds in order and gives the newest model', async () => {
        const id = await federationWithDevices();
        for (const round of [1, 2, 3]) await store.rounds.save(id, roundRecord(round), { bytes: bytes(round), serverState: null }, []);
        expect((await store.rounds.list(id)).map((r) => r.round)).toEqual([1, 2, 3]);
        expect(await store.models.latest(id)).toEqual({ round: 3, bytes: bytes(3), serverState: null });
        expect(await store.models.latest(freshId('unknown'))).toBeNull();
        expect(await store.rounds.list(freshId('unknown'))).toEqual([]);
      });

      it("gives each device's traffic per round, newest rounds first, for the last rounds or one round", async () => {
        const id = await federationWithDevices();
        await store.rounds.save(id, roundRecord(1), { bytes: bytes(1), serverState: null }, [
          { deviceId: 'b', round: 1, bytesUp: 10, bytesDown: 20 },
          { deviceId: 'a', round: 1, bytesUp: 11 },
        ]);
        await store.rounds.save(id, roundRecord(2), { bytes: bytes(2), serverState: null }, [
          { deviceId: 'a', round: 2, bytesUp: 12, bytesDown: 22, abandonedBytesUp: 3, abandonedBytesDown: 4 },
          // Stored before traffic was counted per device: in no traffic listing.
          { deviceId: 'b', round: 2 },
        ]);
        const a2 = { round: 2, deviceId: 'a', bytesUp: 12, bytesDown: 22, abandonedBytesUp: 3, abandonedBytesDown: 4 };
        const a1 = { round: 1, deviceId: 'a', bytesUp: 11, bytesDown: null };
        const b1 = { round: 1, deviceId: 'b', bytesUp: 10, bytesDown: 20 };
        expect(await store.rounds.deviceBytes(id, 1)).toEqual([a2]);
        expect(await store.rounds.deviceBytes(id, 2)).toEqual([a2, a1, b1]);
        expect(await store.rounds.contributionBytes(id, 1)).toEqual(expect.arrayContaining([a1, b1]));
        expect(await store.rounds.contributionBytes(id, 1)).toHaveLength(2);
        expect(await store.rounds.contributionBytes(id)).toHaveLength(3);
      });
    });

    describe('devices', () => {
      it('lists devices by shard and keeps shard, examples and contributions when a device comes back', async () => {
        const id = await federationWithDevices();
        await store.devices.upsert(id, device('own', -1, { examples: 7 }));
        const back = new Date(Date.UTC(2026, 1, 1));
        const adapter = { vendor: 'acme', architecture: 'x' };
        await store.devices.upsert(id, device('a', 5, { backend: 'webgpu', adapter, roundsContributed: 9, examples: 99, lastSeen: back }));
        expect(await store.devices.list(id)).toEqual([
          device('own', -1, { examples: 7 }),
          device('a', 0, { backend: 'webgpu', adapter, lastSeen: back }),
          device('b', 1),
        ]);
      });

      it('stores a device once when it arrives at two coordinators at the same time, on one of the shards offered', async () => {
        const id = await federationWithDevices();
        await Promise.all([store.devices.upsert(id, device('c', 2)), store.devices.upsert(id, device('c', 3))]);
        const stored = (await store.devices.list(id)).filter((d) => d.deviceId === 'c');
        expect(stored).toHaveLength(1);
        expect([2, 3]).toContain(stored[0]!.shardIndex);
      });

      it('refuses a new device on a shard another device holds', async () => {
        const id = await federationWithDevices();
        await expect(store.devices.upsert(id, device('c', 1))).rejects.toThrow();
        expect((await store.devices.list(id)).map((d) => d.deviceId)).toEqual(['a', 'b']);
      });

      describe('devices registered by the store, which picks their shard', () => {
        const SHARDS = 4;
        const shardSize = (shardIndex: number) => 100 + shardIndex;
        const newDevice = (deviceId: string, overrides: Partial<NewDevice> = {}): NewDevice => ({
          deviceId,
          backend: 'cpu',
          adapter: null,
          lastSeen: new Date(Date.UTC(2026, 0, 1)),
          ownExamples: null,
          ...overrides,
        });
        const register = (id: string, d: NewDevice, shardCount = SHARDS) => store.devices.register(id, d, shardCount, shardSize);
        const federation = async () => {
          const id = freshId('register');
          await store.federations.create(configOf(id), bytes(0));
          return id;
        };
        const shards = async (id: string) => (await store.devices.list(id)).map((d) => [d.deviceId, d.shardIndex]);

        it('gives a new device the lowest free shard and its size, and a known one its shard again with what it brings refreshed', async () => {
          const id = await federation();
          await store.devices.upsert(id, device('held', 1));
          expect(await register(id, newDevice('a'))).toEqual({ device: device('a', 0, { examples: 100 }), isNew: true });
          expect(await register(id, newDevice('b'))).toEqual({ device: device('b', 2, { examples: 102 }), isNew: true });
          await store.rounds.save(id, roundRecord(1), { bytes: bytes(1), serverState: null }, [{ deviceId: 'a', round: 1 }]);
          const back = new Date(Date.UTC(2026, 1, 1));
          const adapter = { vendor: 'acme', architecture: 'x' };
          expect(await store.devices.register(id, newDevice('a', { backend: 'webgpu', adapter, lastSeen: back }), SHARDS, () => 999)).toEqual({
            device: device('a', 0, { backend: 'webgpu', adapter, lastSeen: back, examples: 100, roundsContributed: 1 }),
            isNew: false,
          });
          expect(await shards(id)).toEqual([
            ['a', 0],
            ['held', 1],
            ['b', 2],
          ]);
        });

        it('keeps the platform a device names, refreshed on its return; a device that names none has none', async () => {
          const id = await federation();
          expect((await register(id, newDevice('py', { platform: 'python', backend: 'pytorch' })))?.device).toMatchObject({ platform: 'python' });
          expect((await register(id, newDevice('tab')))?.device).not.toHaveProperty('platform');
          expect((await register(id, newDevice('tab', { platform: 'tab' })))?.device).toMatchObject({ platform: 'tab' });
          await store.devices.upsert(id, device('node', 3, { platform: 'node' }));
          expect((await store.devices.list(id)).map((d) => [d.deviceId, d.platform])).toEqual([
            ['py', 'python'],
            ['tab', 'tab'],
            ['node', 'node'],
          ]);
        });

        it('gives devices with their own data the index below the lowest held and the examples they declare, again on each return', async () => {
          const id = await federation();
          expect(await register(id, newDevice('own-1', { ownExamples: 7 }))).toEqual({ device: device('own-1', -1, { examples: 7 }), isNew: true });
          expect(await register(id, newDevice('own-2', { ownExamples: 8 }))).toMatchObject({ device: { shardIndex: -2, examples: 8 }, isNew: true });
          expect(await register(id, newDevice('shard'))).toMatchObject({ device: { shardIndex: 0, examples: 100 }, isNew: true });
          expect(await register(id, newDevice('own-1', { ownExamples: 9 }))).toMatchObject({ device: { shardIndex: -1, examples: 9 }, isNew: false });
          // A shard's examples are the dataset's, whatever its device declares later.
          expect(await register(id, newDevice('shard', { ownExamples: 5 }))).toMatchObject({ device: { shardIndex: 0, examples: 100 }, isNew: false });
          expect(await shards(id)).toEqual([
            ['own-2', -2],
            ['own-1', -1],
            ['shard', 0],
          ]);
          // Not the first free index: a device stored below a gap keeps the gap free.
          await store.devices.upsert(id, device('restored', -5));
          expect(await register(id, newDevice('own-3', { ownExamples: 3 }))).toMatchObject({ device: { shardIndex: -6 }, isNew: true });
        });

        it('answers null when every shard is taken, while known devices and devices with their own data still register', async () => {
          const id = await federation();
          await register(id, newDevice('a'), 2);
          await register(id, newDevice('b'), 2);
          expect(await register(id, newDevice('c'), 2)).toBeNull();
          expect(await register(id, newDevice('a'), 2)).toMatchObject({ device: { shardIndex: 0 }, isNew: false });
          expect(await register(id, newDevice('own', { ownExamples: 3 }), 0)).toMatchObject({ device: { shardIndex: -1 }, isNew: true });
          expect(await shards(id)).toEqual([
            ['own', -1],
            ['a', 0],
            ['b', 1],
          ]);
        });

        it('refuses a device of a federation it does not hold', async () => {
          await expect(register(freshId('absent'), newDevice('a'))).rejects.toThrow(/^there is no stored federation "absent-\d+"$/);
          await expect(register(freshId('absent'), newDevice('own', { ownExamples: 3 }))).rejects.toThrow(/^there is no stored federation "absent-\d+"$/);
        });

        it('gives devices registering at the same time distinct indices, and a device arriving twice at once one', async () => {
          const id = await federation();
          const arrivals = Array.from({ length: 12 }, (_, i) => newDevice(`d${i}`, { ownExamples: i % 4 === 0 ? 10 : null }));
          const results = await Promise.all([...arrivals, newDevice('d1')].map((d) => register(id, d, 20)));
          expect(new Set(results.map((r) => r!.device.shardIndex))).toEqual(new Set([-3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8]));
          expect(results.at(-1)!.device.shardIndex).toBe(results[1]!.device.shardIndex);
          expect(results.filter((r) => r!.isNew)).toHaveLength(12);
          expect(await store.devices.list(id)).toHaveLength(12);
        });

        it('gives 50 devices with their own data arriving at once 50 indices, one arriving twice its own, and a known device arriving 20 times its own', async () => {
          const id = await federation();
          await register(id, newDevice('shard'));
          await register(id, newDevice('known', { ownExamples: 1 }));
          const arrivals = Array.from({ length: 50 }, (_, i) => newDevice(`own-${i}`, { ownExamples: i + 2 }));
          const joins = [...arrivals, arrivals[0]!].map((d) => register(id, d));
          const returns = Array.from({ length: 20 }, (_, i) => register(id, newDevice('known', { ownExamples: 100 + i })));
          const [joined, returned] = await Promise.all([Promise.all(joins), Promise.all(returns)]);
          expect(new Set(joined.map((r) => r!.device.shardIndex))).toEqual(new Set(Array.from({ length: 50 }, (_, i) => -2 - i)));
          expect(joined.at(-1)!.device.shardIndex).toBe(joined[0]!.device.shardIndex);
          expect(joined.filter((r) => r!.isNew)).toHaveLength(50);
          expect(joined.every((r, i) => r!.device.examples === (i % 50) + 2)).toBe(true);
          expect(returned.every((r) => !r!.isNew && r!.device.shardIndex === -1)).toBe(true);
          expect(await store.devices.list(id)).toHaveLength(52);
        });
      });
    });

    it("keeps devices' evaluations by round then device, a repeated report replacing the first", async () => {
      const id = await federationWithDevices();
      await store.evaluations.save(id, 'b', 1, { accuracy: 0.5, loss: 1, examples: 10 });
      await store.evaluations.save(id, 'a', 1, { accuracy: 0.6, loss: 0.9, examples: 10 });
      await store.evaluations.save(id, 'a', 0, { accuracy: 0.1, loss: 2, examples: 10 });
      await store.evaluations.save(id, 'b', 1, { accuracy: 0.7, loss: 0.8, examples: 12 });
      const reports = await store.evaluations.list(id);
      expect(reports.map(({ reportedAt: _, ...r }) => r)).toEqual([
        { deviceId: 'a', round: 0, accuracy: 0.1, loss: 2, examples: 10 },
        { deviceId: 'a', round: 1, accuracy: 0.6, loss: 0.9, examples: 10 },
        { deviceId: 'b', round: 1, accuracy: 0.7, loss: 0.8, examples: 12 },
      ]);
      for (const r of reports) expect(Date.parse(r.reportedAt)).not.toBeNaN();
    });

    it("keeps queries from their submission on, finished ones with their results, newest first, and sums each federation's ε from the done ones", async () => {
      const id = freshId('queries');
      const other = freshId('queries');
      const base = (await store.queries.lastNumber()) + 1000;
      const finished = (n: number, federationId: string, status: QueryRecord['status'], epsilon?: number): QueryRecord => ({
        id: `q${base + n}`,
        federationId,
        query: {
          kind: 'label-histogram',
          privacy: { minDevices: 2, ...(epsilon === undefined ? {} : { epsilon, examplesPerDevice: 50 }) },
          deadlineMs: 30_000,
        },
        status,
        whatLeaves: '3 numbers: how many of your examples carry each label',
        submittedAt: new Date(Date.UTC(2026, 0, 1, 0, n)).toISOString(),
        startedAt: status === 'done' ? new Date(Date.UTC(2026, 0, 1, 0, n, 1)).toISOString() : null,
        finishedAt: new Date(Date.UTC(2026, 0, 1, 0, n, 2)).toISOString(),
        asked: 3,
        answered: status === 'done' ? 3 : 0,
        result: status === 'done' ? { kind: 'label-histogram', classes: ['0', '1', '2'], counts: [4.25, 0, 7], devices: 3 } : null,
        reason: status === 'refused' ? 'only 1 device is online and the query needs 2: ask again when more are online' : null,
      });
      const done = finished(1, id, 'done', 0.5);
      await store.queries.save(done);
      await store.queries.save(finished(2, id, 'refused', 3));
      await store.queries.save(finished(3, id, 'done'));
      await store.queries.save(finished(4, other, 'done', 2));
      await store.queries.save({ ...finished(5, id, 'done', 0.25), id: `q${base + 10}` });
      await store.queries.save(finished(5, id, 'done', 1));

      expect(await store.queries.find(id, done.id)).toEqual(done);
      expect(await store.queries.find(other, done.id)).toBeNull();
      expect((await store.queries.list(id, 10)).map((r) => r.id)).toEqual([10, 5, 3, 2, 1].map((n) => `q${base + n}`));
      expect((await store.queries.list(id, 2)).map((r) => r.id)).toEqual([`q${base + 10}`, `q${base + 5}`]);
      const spent = await store.queries.epsilonSpent();
      expect(spent.get(id)).toBeCloseTo(1.75, 12);
      expect(spent.get(other)).toBe(2);
      expect(await store.queries.lastNumber()).toBeGreaterThanOrEqual(base + 10);
      // Saved again (the same id), the record is replaced and its ε counted once.
      await store.queries.save(finished(5, id, 'done', 0.5));
      expect((await store.queries.epsilonSpent()).get(id)).toBeCloseTo(1.25, 12);
      // A query is kept from its submission on, unfinished: its number counts, its ε only once it is done.
      const queued = { ...finished(20, id, 'queued', 4), finishedAt: null };
      await store.queries.save(queued);
      expect(await store.queries.find(id, queued.id)).toEqual(queued);
      expect(await store.queries.lastNumber()).toBeGreaterThanOrEqual(base + 20);
      expect((await store.queries.epsilonSpent()).get(id)).toBeCloseTo(1.25, 12);
      await store.queries.save(finished(20, id, 'done', 4));
      expect((await store.queries.epsilonSpent()).get(id)).toBeCloseTo(5.25, 12);
    });

    it('keeps uploaded models and refuses an id already stored', async () => {
      const id = freshId('model');
      const model = {
        id,
        name: 'uploaded',
        modelJson: { modelTopology: { layers: [1] } },
        weights: bytes(5, 6),
        inputShape: [4],
        numClasses: 3,
        parameters: 15,
      };
      const info = await store.uploadedModels.save(model);
      expect(info).toMatchObject({ id, name: 'uploaded', inputShape: [4], numClasses: 3, parameters: 15 });
      expect(Date.parse(info.createdAt)).not.toBeNaN();
      expect(await store.uploadedModels.list()).toContainEqual(info);
      expect(await store.uploadedModels.get(id)).toEqual({ ...info, modelJson: model.modelJson, weights: model.weights });
      expect(await store.uploadedModels.get(freshId('unknown'))).toBeNull();
      await expect(store.uploadedModels.save({ ...model, name: 'again' })).rejects.toThrow();
    });

    describe('tokens', () => {
      const credential = (federationId: string, deviceId: string, expiresAt = '2099-01-01T00:00:00.000Z') => ({
        id: freshId('jti'),
        kind: 'device' as const,
        role: 'device' as const,
        federationId,
        deviceId,
        label: null,
        expiresAt,
      });

      it('binds a device id to one live credential until it is revoked; revoking again keeps the first time', async () => {
        const federation = freshId('tokens');
        const first = credential(federation, 'phone');
        expect(await store.tokens.insert(first)).toBe(true);
        expect(await store.tokens.isBound(federation, 'phone')).toBe(true);
        expect(await store.tokens.insert(credential(federation, 'phone'))).toBe(false);
        expect(await store.tokens.insert(credential(federation, 'tablet'))).toBe(true);

        const revoked = await store.tokens.revoke(first.id);
        expect(revoked).toMatchObject({ ...first, revokedAt: expect.any(String) });
        expect(await store.tokens.revokedIds()).toContain(first.id);
        expect((await store.tokens.revoke(first.id))?.revokedAt).toBe(revoked?.revokedAt);
        expect(await store.tokens.revoke(freshId('unknown'))).toBeNull();
        expect(await store.tokens.isBound(federation, 'phone')).toBe(false);
        expect(await store.tokens.insert(credential(federation, 'phone'))).toBe(true);
      });

      it('binds a device id to one of two credentials signed for it at the same time', async () => {
        const federation = freshId('tokens');
        const both = [credential(federation, 'phone'), credential(federation, 'phone')];
        const bound = await Promise.all(both.map((c) => store.tokens.insert(c)));
        expect(bound.sort()).toEqual([false, true]);
        expect(await store.tokens.isBound(federation, 'phone')).toBe(true);
      });

      it('releases an expired device credential, so the device id can be bound again', async () => {
        const federation = freshId('tokens');
        const expired = credential(federation, 'phone', '2020-01-01T00:00:00.000Z');
        expect(await store.tokens.insert(expired)).toBe(true);
        expect(await store.tokens.isBound(federation, 'phone')).toBe(false);
        expect(await store.tokens.revokedIds()).toContain(expired.id);
        expect(await store.tokens.insert(credential(federation, 'phone'))).toBe(true);
      });

      it('lists the tokens minted for people, newest first, of every federation or one', async () => {
        const federation = freshId('tokens');
        const viewer = {
          id: freshId('jti'),
          kind: 'viewer' as const,
          role: 'viewer' as const,
          federationId: null,
          deviceId: null,
          label: 'Ana',
          expiresAt: '2099-01-01T00:00:00.000Z',
        };
        const enrollment = { ...viewer, id: freshId('jti'), kind: 'enrollment' as const, role: 'device' as const, federationId: federation, label: 'lab' };
        await store.tokens.insert(viewer);
        await store.tokens.insert(enrollment);
        await store.tokens.insert(credential(federation, 'phone'));
        expect((await store.tokens.listMinted(federation)).map((r) => r.id)).toEqual([enrollment.id]);
        const all = await store.tokens.listMinted();
        expect(all.map((r) => r.id)).toEqual(expect.arrayContaining([viewer.id, enrollment.id]));
        // Tokens signed within the same clock tick may list in either order.
        const times = all.map((r) => Date.parse(r.createdAt));
        expect(times).toEqual([...times].sort((x, y) => y - x));
        expect(all.find((r) => r.id === enrollment.id)).toEqual({ ...enrollment, revokedAt: null, createdAt: expect.any(String) });
      });
    });

    describe('the event log', () => {
      it('folds 500 identical rejections from one device into one row with its count and first time', async () => {
        const id = freshId('flood');
        const start = Date.UTC(2025, 0, 1);
        for (let i = 0; i < 500; i++) store.events.append(rejection(id, 'device-a', start + i * 10));
        const events = await store.events.recent(id, 500);
        expect(events).toHaveLength(1);
        expect(events[0]).toMatchObject({ count: 500, firstAt: new Date(start).toISOString(), at: new Date(start + 4_990).toISOString() });
      });

      it('keeps each device its own row, and a different event in between starts a new row', async () => {
        const id = freshId('apart');
        const start = Date.UTC(2025, 0, 2);
        store.events.append(rejection(id, 'device-a', start));
        store.events.append(rejection(id, 'device-b', start + 1));
        store.events.append(rejection(id, 'device-a', start + 2));
        store.events.append({ ...rejection(id, 'device-a', start + 3), kind: 'device-offline', message: 'device disconnected', level: 'info' });
        store.events.append(rejection(id, 'device-a', start + 4));
        const events = await store.events.recent(id, 500);
        expect(events.map((e) => [e.deviceId, e.kind, e.count ?? 1])).toEqual([
          ['device-a', 'update-rejected', 2],
          ['device-b', 'update-rejected', 1],
          ['device-a', 'device-offline', 1],
          ['device-a', 'update-rejected', 1],
        ]);
      });

      it('prunes rows beyond the per-federation limit and rows older than the age limit', async () => {
        const limited = await open({ eventLog: { limits: { maxRowsPerFederation: 3, maxAgeDays: 30 } } });
        const id = freshId('kept');
        const now = Date.now();
        limited.events.append({ ...rejection(id, 'old', now - 40 * 86_400_000) });
        for (let i = 0; i < 5; i++) limited.events.append(rejection(id, `device-${i}`, now + i));
        expect(await limited.events.prune()).toBeGreaterThanOrEqual(3);
        const events = await limited.events.recent(id, 500);
        expect(events.map((e) => e.deviceId)).toEqual(['device-2', 'device-3', 'device-4']);
        await limited.close();
      });

      it('writes a repeat again when retention deleted its row, and numbers rows in the order they came', async () => {
        const limited = await open({ eventLog: { limits: { maxRowsPerFederation: 1, maxAgeDays: 30 } } });
        const id = freshId('rewritten');
        const start = Date.now();
        limited.events.append(rejection(id, 'device-a', start));
        limited.events.append(rejection(id, 'device-b', start + 1));
        expect(await limited.events.prune()).toBeGreaterThanOrEqual(1);
        limited.events.append(rejection(id, 'device-a', start + 2));
        for (let i = 0; i < 5; i++) limited.events.append(rejection(id, `device-${i}`, start + 3 + i));
        const events = await limited.events.recent(id, 500);
        expect(events.map((e) => [e.deviceId, e.count ?? 1])).toEqual([
          ['device-b', 1],
          ['device-a', 2],
          ...Array.from({ length: 5 }, (_, i) => [`device-${i}`, 1]),
        ]);
        await limited.close();
      });

      it('drops new rows beyond 1,000 waiting to be written, and says how many', async () => {
        const id = freshId('lagging');
        const start = Date.UTC(2025, 0, 4);
        for (let i = 0; i < 3_000; i++) store.events.append(rejection(id, `device-${i}`, start + i));
        const events = await store.events.recent(id, 5_000);
        expect(events).toHaveLength(1 + 1_000 + 1);
        expect(events.at(-1)).toMatchObject({ kind: 'events-dropped', level: 'warn', message: expect.stringMatching(/^1999 events were not written/) });
      });

      it('pages newest first by keyset, filtered by kind, level and text, with the total of all pages', async () => {
        const id = freshId('paged');
        const start = Date.UTC(2025, 0, 5);
        const kinds = ['round-started', 'device-online', 'round-closed', 'device-online', 'round-started'];
        kinds.forEach((kind, i) =>
          store.events.append({
            at: new Date(start + i).toISOString(),
            federationId: id,
            level: i === 2 ? 'warn' : 'info',
            kind,
            message: `Event ${i}`,
            deviceId: null,
          }),
        );
        store.events.append({ ...rejection(freshId('other'), 'device-a', start), message: 'event 9' });

        const first = await store.events.page(id, { limit: 2, beforeId: null });
        expect(first.total).toBe(5);
        expect(first.items.map((e) => e.message)).toEqual(['Event 4', 'Event 3']);
        const second = await store.events.page(id, { limit: 2, beforeId: first.items.at(-1)!.id });
        expect(second.items.map((e) => e.message)).toEqual(['Event 2', 'Event 1']);
        expect(second.items[0]).toEqual({
          id: second.items[0]!.id,
          at: new Date(start + 2).toISOString(),
          federationId: id,
          level: 'warn',
          kind: 'round-closed',
          message: 'Event 2',
          deviceId: null,
        });

        expect(await store.events.page(id, { limit: 10, beforeId: null, kinds: ['round-started'] })).toMatchObject({
          total: 2,
          items: [{ message: 'Event 4' }, { message: 'Event 0' }],
        });
        expect(await store.events.page(id, { limit: 10, beforeId: null, level: 'warn' })).toMatchObject({ total: 1, items: [{ message: 'Event 2' }] });
        expect(await store.events.page(id, { limit: 1, beforeId: null, text: 'EVENT 1' })).toMatchObject({ total: 1, items: [{ message: 'Event 1' }] });
        expect((await store.events.page(id, { limit: 10, beforeId: null, kinds: [], text: '' })).total).toBe(5);
      });

      it('gives the newest events oldest first, narrowed by kind and level', async () => {
        const id = freshId('recent');
        const start = Date.UTC(2025, 0, 6);
        for (let i = 0; i < 4; i++) {
          store.events.append({
            at: new Date(start + i).toISOString(),
            federationId: id,
            level: i % 2 ? 'warn' : 'info',
            kind: `kind-${i % 2}`,
            message: `m${i}`,
            deviceId: null,
          });
        }
        expect((await store.events.recent(id, 3)).map((e) => e.message)).toEqual(['m1', 'm2', 'm3']);
        expect((await store.events.recent(id, 10, { kinds: ['kind-0'] })).map((e) => e.message)).toEqual(['m0', 'm2']);
        expect((await store.events.recent(id, 10, { level: 'warn' })).map((e) => e.message)).toEqual(['m1', 'm3']);
        await store.events.written();
      });
    });

    describe('coordinators (their heartbeats)', () => {
      const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
      const heartbeat = (id: string, devices: number) =>
        store.coordinators.heartbeat({ id, url: `http://${id}.example:3000`, startedAt: new Date(Date.UTC(2026, 0, 1, 12)), devices });
      const listed = async (ids: string[], aliveWithinMs = 60_000) => (await store.coordinators.list(aliveWithinMs)).filter((c) => ids.includes(c.id));

      it('lists each coordinator once with what its latest heartbeat said, last seen by the store clock, until it says goodbye', async () => {
        const [a, b] = [freshId('coordinator'), freshId('coordinator')];
        const before = Date.now();
        await heartbeat(a, 3);
        await heartbeat(b, 0);
        await heartbeat(a, 5);
        const [first, second] = await listed([a, b]);
        expect(first).toMatchObject({ id: a, url: `http://${a}.example:3000`, startedAt: new Date(Date.UTC(2026, 0, 1, 12)), devices: 5, alive: true });
        expect(second).toMatchObject({ id: b, devices: 0, alive: true });
        // The database server runs on this machine in the tests: its clock is ours, give or take a second.
        expect(Math.abs(first!.lastSeen.getTime() - before)).toBeLessThan(1_000);
        await store.coordinators.remove(a);
        expect((await listed([a, b])).map((c) => c.id)).toEqual([b]);
      });

      it('counts a coordinator alive only while its heartbeats keep coming', async () => {
        const id = freshId('coordinator');
        await heartbeat(id, 1);
        await sleep(300);
        expect(await listed([id], 150)).toMatchObject([{ id, alive: false }]);
        await heartbeat(id, 1);
        expect(await listed([id], 150)).toMatchObject([{ id, alive: true }]);
      });
    });

    describe('federation leases (which coordinator runs a federation)', () => {
      const TTL = 60_000;
      const SHORT = 150;
      const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

      it('are held by one coordinator at a time until they expire or are released, each taking with a higher epoch', async () => {
        const id = freshId('leased');
        const a = await store.leases.acquire(id, 'coordinator-a', TTL);
        expect(a).toMatchObject({ federationId: id, holder: 'coordinator-a' });
        expect(await store.leases.acquire(id, 'coordinator-b', TTL)).toBeNull();
        expect(await store.leases.renew(id, 'coordinator-a', a!.epoch, TTL)).toBe(true);
        await store.leases.release(id, 'coordinator-a', a!.epoch);
        const b = await store.leases.acquire(id, 'coordinator-b', TTL);
        expect(b).toMatchObject({ holder: 'coordinator-b', epoch: a!.epoch + 1 });
        expect(b!.expiresAt.getTime()).toBeGreaterThan(Date.now());
        // The coordinator that lost it cannot renew or release it: it must stop.
        expect(await store.leases.renew(id, 'coordinator-a', a!.epoch, TTL)).toBe(false);
        await store.leases.release(id, 'coordinator-a', a!.epoch);
        expect(await store.leases.acquire(id, 'coordinator-c', TTL)).toBeNull();
        expect((await store.leases.list()).find((l) => l.federationId === id)).toMatchObject({ holder: 'coordinator-b', epoch: b!.epoch });
      });

      it('passes to another coordinator once the holder stops renewing, and the old epoch no longer renews', async () => {
        const id = freshId('expiring');
        const a = await store.leases.acquire(id, 'coordinator-a', SHORT);
        await sleep(SHORT * 2);
        const b = await store.leases.acquire(id, 'coordinator-b', TTL);
        expect(b).toMatchObject({ holder: 'coordinator-b', epoch: a!.epoch + 1 });
        expect(await store.leases.renew(id, 'coordinator-a', a!.epoch, TTL)).toBe(false);
      });

      it('goes to exactly one of several coordinators asking at once', async () => {
        const id = freshId('contended');
        const taken = await Promise.all(['a', 'b', 'c', 'd'].map((c) => store.leases.acquire(id, `coordinator-${c}`, TTL)));
        expect(taken.filter((l) => l !== null)).toHaveLength(1);
      });
    });

    describe('shared rounds (updates folded by any coordinator, counted once)', () => {
      const TTL = 60_000;
      const SHORT = 150;
      const SIZE = 8;
      const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
      const sharedRound = (federationId: string, attempt: string, round = 1): SharedRound => ({
        federationId,
        round,
        attempt,
        selected: ['d0', 'd1', 'd2'],
        deadline: Date.UTC(2026, 0, 1, 0, 1),
        startedAt: Date.UTC(2026, 0, 1),
      });
      /** Device `n`'s update: a delta of its own and n + 1 examples (its weight). */
      const deltaOf = (n: number) => Float32Array.from({ length: SIZE }, (_, i) => Math.sin(n * 7 + i) * (n + 1));
      const examplesOf = (n: number) => n + 1;
      const itemOf = (n: number, coordinatorId: string) => {
        const one = new FedAvgAccumulator(SIZE);
        one.add(deltaOf(n), examplesOf(n));
        const update: CountedUpdate = {
          deviceId: `d${n}`,
          coordinatorId,
          examples: examplesOf(n),
          loss: 0.5 + n,
          accuracy: 0.1 * n,
          bytesUp: 100 + n,
          bytesDown: 400 + n,
          abandonedBytesUp: n,
          abandonedBytesDown: 2 * n,
        };
        return { update, partial: one.partial() };
      };
      const fold = (id: string, attempt: string, coordinatorId: string, devices: number[]) =>
        store.sharedRounds.fold(
          id,
          attempt,
          coordinatorId,
          devices.map((n) => itemOf(n, coordinatorId)),
        );
      /** Owns a fresh federation (the lease lasting `ttlMs`) with round 1 open as attempt `attempt-1`. */
      async function openedRound(ttlMs = TTL): Promise<{ id: string; fence: LeaseFence }> {
        const id = await federationWithDevices();
        const lease = await store.leases.acquire(id, 'owner', ttlMs);
        const fence = { holder: 'owner', epoch: lease!.epoch };
        expect(await store.sharedRounds.open(sharedRound(id, 'attempt-1'), fence)).toBe(true);
        return { id, fence };
      }

      it('opens a round every coordinator reads, and a redo replaces it', async () => {
        const id = freshId('shared');
        expect(await store.sharedRounds.current(id)).toBeNull();
        const lease = await store.leases.acquire(id, 'owner', TTL);
        const fence = { holder: 'owner', epoch: lease!.epoch };
        expect(await store.sharedRounds.open(sharedRound(id, 'attempt-1'), fence)).toBe(true);
        expect(await store.sharedRounds.current(id)).toEqual(sharedRound(id, 'attempt-1'));
        expect(await store.sharedRounds.open({ ...sharedRound(id, 'attempt-2'), selected: ['d2'] }, fence)).toBe(true);
        expect(await store.sharedRounds.current(id)).toEqual({ ...sharedRound(id, 'attempt-2'), selected: ['d2'] });
      });

      it("counts a device's update once: folding it again, from any coordinator, is a duplicate and leaves the partial as it was", async () => {
        const { id } = await openedRound();
        expect(await fold(id, 'attempt-1', 'coordinator-a', [0, 1, 0])).toEqual(['counted', 'counted', 'duplicate']);
        const before = await store.sharedRounds.partials(id, 'attempt-1');
        expect(await fold(id, 'attempt-1', 'coordinator-a', [1])).toEqual(['duplicate']);
        expect(await fold(id, 'attempt-1', 'coordinator-b', [0, 2])).toEqual(['duplicate', 'counted']);
        const after = await store.sharedRounds.partials(id, 'attempt-1');
        expect(after[0]).toEqual(before[0]);
        expect(after.map((p) => p.updates)).toEqual([2, 1]);
        expect(await store.sharedRounds.receipts(id, 'attempt-1')).toEqual([
          itemOf(0, 'coordinator-a').update,
          itemOf(1, 'coordinator-a').update,
          itemOf(2, 'coordinator-b').update,
        ]);
      });

      it('seals a round for its owner: what was folded before is given, a fold after is too late, and a stale fence gets nothing', async () => {
        const { id, fence } = await openedRound();
        expect(await fold(id, 'attempt-1', 'coordinator-a', [0, 1])).toEqual(['counted', 'counted']);
        expect(await fold(id, 'attempt-1', 'coordinator-b', [2])).toEqual(['counted']);
        expect(await store.sharedRounds.seal(id, 'attempt-1', { ...fence, epoch: fence.epoch + 1 })).toBeNull();
        const sealed = await store.sharedRounds.seal(id, 'attempt-1', fence);
        expect(sealed?.receipts.map((r) => r.deviceId)).toEqual(['d0', 'd1', 'd2']);
        expect(sealed?.partials.map((p) => p.updates)).toEqual([2, 1]);
        expect(await fold(id, 'attempt-1', 'coordinator-b', [1])).toBe('stale');
        expect(await store.sharedRounds.current(id)).toEqual(sharedRound(id, 'attempt-1'));
      });

      it('refuses a fold for an attempt the owner redid or before any was opened, and a redo starts empty', async () => {
        expect(await fold(freshId('unopened'), 'attempt-1', 'coordinator-a', [0])).toBe('stale');
        const { id, fence } = await openedRound();
        expect(await fold(id, 'attempt-1', 'coordinator-a', [0])).toEqual(['counted']);
        expect(await store.sharedRounds.open(sharedRound(id, 'attempt-2'), fence)).toBe(true);
        expect(await fold(id, 'attempt-1', 'coordinator-a', [1])).toBe('stale');
        expect(await store.sharedRounds.receipts(id, 'attempt-1')).toEqual([]);
        expect(await store.sharedRounds.partials(id, 'attempt-1')).toEqual([]);
        expect(await store.sharedRounds.partials(id, 'attempt-2')).toEqual([]);
        expect(await fold(id, 'attempt-2', 'coordinator-a', [0])).toEqual(['counted']);
      });

      it("keeps each coordinator's traffic of the attempt for the seal: models sent add up, called-off figures count once, and none is taken after the seal or for another attempt", async () => {
        const { id, fence } = await openedRound();
        const traffic = (bytesDown: number, abandonedBytesUp = 0, abandonedBytesDown = 0) => ({ bytesDown, abandonedBytesUp, abandonedBytesDown });
        const sent = (coordinatorId: string, t: RoundTraffic, attempt = 'attempt-1') => store.sharedRounds.sent(id, attempt, coordinatorId, t);
        expect(await sent('coordinator-a', traffic(400), 'attempt-0')).toBe(false);
        expect(await sent('coordinator-b', traffic(400, 30, 800))).toBe(true);
        expect(await sent('coordinator-b', traffic(400, 30, 800))).toBe(true);
        expect(await Promise.all(Array.from({ length: 10 }, () => sent('coordinator-a', traffic(100))))).toEqual(Array(10).fill(true));
        expect(await fold(id, 'attempt-1', 'coordinator-b', [3])).toEqual(['counted']);
        const sealed = await store.sharedRounds.seal(id, 'attempt-1', fence);
        expect(sealed?.traffic).toEqual([
          { coordinatorId: 'coordinator-a', ...traffic(1_000) },
          { coordinatorId: 'coordinator-b', ...traffic(800, 30, 800) },
        ]);
        expect(sealed?.receipts).toEqual([itemOf(3, 'coordinator-b').update]);
        expect(await sent('coordinator-a', traffic(100))).toBe(false);
        expect(await store.sharedRounds.open(sharedRound(id, 'attempt-2'), fence)).toBe(true);
        expect(await sent('coordinator-a', traffic(100))).toBe(false);
        expect((await store.sharedRounds.seal(id, 'attempt-2', fence))?.traffic).toEqual([]);
      });

      it('gives partials that merge to the mean one accumulator computes from all the updates', async () => {
        const { id } = await openedRound();
        await fold(id, 'attempt-1', 'coordinator-a', [0, 1]);
        await fold(id, 'attempt-1', 'coordinator-b', [2, 3, 4]);
        await fold(id, 'attempt-1', 'coordinator-a', [5]);
        const merged = new FedAvgAccumulator(SIZE);
        const partials = await store.sharedRounds.partials(id, 'attempt-1');
        for (const partial of partials) merged.merge(partial);
        const one = new FedAvgAccumulator(SIZE);
        for (const n of [0, 1, 2, 3, 4, 5]) one.add(deltaOf(n), examplesOf(n));
        expect(partials.map((p) => p.updates)).toEqual([3, 3]);
        expect(merged.totalWeight).toBe(one.totalWeight);
        const [mean, expected] = [merged.mean(), one.mean()];
        mean.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 9));
      });

      it('refuses to open or discard for a coordinator whose lease expired or was taken over', async () => {
        const { id, fence } = await openedRound(SHORT);
        await sleep(SHORT * 2);
        expect(await store.sharedRounds.open(sharedRound(id, 'attempt-2'), fence)).toBe(false);
        const taken = await store.leases.acquire(id, 'successor', TTL);
        expect(await store.sharedRounds.open(sharedRound(id, 'attempt-3'), fence)).toBe(false);
        expect(await store.sharedRounds.discard(id, fence)).toBe(false);
        expect((await store.sharedRounds.current(id))?.attempt).toBe('attempt-1');
        expect(await store.sharedRounds.discard(id, { holder: 'successor', epoch: taken!.epoch })).toBe(true);
        expect(await store.sharedRounds.current(id)).toBeNull();
      });

      it('saves a fenced round only while the lease holds, and then ends the shared round', async () => {
        const { id, fence } = await openedRound(SHORT);
        await fold(id, 'attempt-1', 'coordinator-a', [0]);
        await sleep(SHORT * 2);
        const taken = await store.leases.acquire(id, 'successor', TTL);
        const save = (f: LeaseFence) => store.rounds.save(id, roundRecord(1), { bytes: bytes(1), serverState: null }, [{ deviceId: 'a', round: 1 }], f);
        await expect(save(fence)).rejects.toThrow(LeaseLostError);
        await expect(save(fence)).rejects.toThrow(`another coordinator took over federation "${id}"`);
        expect(await store.rounds.list(id)).toEqual([]);
        expect((await store.federations.list()).find((f) => f.config.id === id)?.round).toBe(0);
        expect(await store.rounds.contributionsSince(id, 0)).toEqual([]);
        expect((await store.sharedRounds.current(id))?.attempt).toBe('attempt-1');
        await save({ holder: 'successor', epoch: taken!.epoch });
        expect((await store.rounds.list(id)).map((r) => r.round)).toEqual([1]);
        expect(await store.sharedRounds.current(id)).toBeNull();
        expect(await store.sharedRounds.receipts(id, 'attempt-1')).toEqual([]);
        expect(await store.sharedRounds.partials(id, 'attempt-1')).toEqual([]);
      });

      it('counts each device once when two coordinators fold overlapping devices at the same time', async () => {
        const { id, fence } = await openedRound();
        for (const attempt of ['attempt-2', 'attempt-3', 'attempt-4']) {
          expect(await store.sharedRounds.open(sharedRound(id, attempt), fence)).toBe(true);
          // Each coordinator has a partial already, which the folds at once must add to, not overwrite.
          await fold(id, attempt, 'coordinator-a', [10]);
          await fold(id, attempt, 'coordinator-b', [11]);
          const outcomes = await Promise.all([
            fold(id, attempt, 'coordinator-a', [0, 1, 2, 3]),
            fold(id, attempt, 'coordinator-a', [4, 5, 6, 7]),
            fold(id, attempt, 'coordinator-b', [8, 4, 3, 2]),
            fold(id, attempt, 'coordinator-b', [9, 0, 7, 6]),
          ]);
          const counted = outcomes.flatMap((o, call) => (o === 'stale' ? [] : o.flatMap((outcome, i) => (outcome === 'counted' ? [[call, i]] : []))));
          expect(counted).toHaveLength(10);
          const receipts = await store.sharedRounds.receipts(id, attempt);
          expect(receipts.map((r) => r.deviceId).sort()).toEqual(['d0', 'd1', 'd10', 'd11', 'd2', 'd3', 'd4', 'd5', 'd6', 'd7', 'd8', 'd9']);
          const partials = await store.sharedRounds.partials(id, attempt);
          expect(partials.reduce((sum, p) => sum + p.totalWeight, 0)).toBe(receipts.reduce((sum, r) => sum + r.examples, 0));
          expect(partials.reduce((sum, p) => sum + p.updates, 0)).toBe(12);
        }
      });

      it('leaves a redone round empty when the owner redoes it while a coordinator folds', async () => {
        const { id, fence } = await openedRound();
        const [folded, opened] = await Promise.all([
          fold(id, 'attempt-1', 'coordinator-a', [0, 1]),
          store.sharedRounds.open(sharedRound(id, 'attempt-2'), fence),
        ]);
        expect(opened).toBe(true);
        expect([['counted', 'counted'], 'stale']).toContainEqual(folded);
        for (const attempt of ['attempt-1', 'attempt-2']) {
          expect(await store.sharedRounds.receipts(id, attempt)).toEqual([]);
          expect(await store.sharedRounds.partials(id, attempt)).toEqual([]);
        }
        expect(await fold(id, 'attempt-2', 'coordinator-a', [0])).toEqual(['counted']);
      });
    });
  });
}
