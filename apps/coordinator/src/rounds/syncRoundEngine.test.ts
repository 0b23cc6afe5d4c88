import { describe, expect, it } from 'vitest';
import { encodeWeights, type FederationConfig, type WeightsManifest } from '@flock/fl-core';
import { effectsOfType as ofType, ENGINE_TEST_CONFIG as config, T0, testUpdate } from '../testing/engineTesting.ts';
import { SyncRoundEngine, selectDevices, type DeviceUpdate, type EngineEffect } from './syncRoundEngine.ts';

const manifest: WeightsManifest = [
  { name: 'dense/kernel', shape: [2, 2], dtype: 'float32' },
  { name: 'dense/bias', shape: [2], dtype: 'float32' },
];

function engine(overrides: Partial<FederationConfig> = {}): SyncRoundEngine {
  return new SyncRoundEngine({ ...config, ...overrides }, manifest, {
    status: 'idle',
    completedRounds: 0,
    global: new Float32Array([1, 2, 3, 4, 5, 6]),
  });
}

const update = (deviceId: string, round: number, values: number[], numExamples = 100, kind: 'delta' | 'weights' = 'delta'): DeviceUpdate =>
  testUpdate(manifest, deviceId, round, values, numExamples, kind);

/** An engine in round 1 with devices a and b selected. */
function training(overrides: Partial<FederationConfig> = {}): SyncRoundEngine {
  const e = engine(overrides);
  e.deviceOnline('a', T0);
  e.deviceOnline('b', T0);
  e.start(T0);
  expect(e.status).toBe('training');
  return e;
}

describe('SyncRoundEngine', () => {
  it('waits for minDevices, then broadcasts round 1 with a deadline to every eligible device', () => {
    const e = engine();
    e.start(T0);
    expect(e.status).toBe('waiting');
    expect(e.deviceOnline('a', T0)).toEqual([]);
    const effects = e.deviceOnline('b', T0 + 5);
    const [broadcast] = ofType(effects, 'broadcastRound');
    expect(broadcast).toMatchObject({ round: 1, deviceIds: ['a', 'b'], deadline: T0 + 5 + 10_000 });
    expect(ofType(effects, 'statusChanged')).toEqual([{ type: 'statusChanged', status: 'training', round: 1 }]);
  });

  it('closes the round with global + the example-weighted mean of the deltas', () => {
    const e = training();
    expect(e.submitUpdate(update('a', 1, [1, 1, 1, 1, 1, 1], 100), T0 + 1).result).toEqual({ ok: true, duplicate: false });
    const { result, effects } = e.submitUpdate(update('b', 1, [4, -2, 0, 0, 0, 10], 300), T0 + 2);
    expect(result.ok).toBe(true);
    const [closed] = ofType(effects, 'roundClosed');
    // (100*d_a + 300*d_b) / 400
    const mean = [(1 + 12) / 4, (1 - 6) / 4, 0.25, 0.25, 0.25, (1 + 30) / 4];
    const expected = [1, 2, 3, 4, 5, 6].map((g, i) => g + mean[i]!);
    expect([...closed!.newGlobal]).toEqual(expected.map((v) => Math.fround(v)));
    expect(closed).toMatchObject({ round: 1, participants: ['a', 'b'], examples: 400, trainLoss: 0.5, rejected: 0, startedAt: T0, closedAt: T0 + 2 });
    expect(closed!.bytesUp).toBeGreaterThan(0);
    expect(e.status).toBe('aggregating');
  });

  it("reports the devices' training loss and accuracy weighted by the examples each trained on", () => {
    const e = training();
    e.submitUpdate({ ...update('a', 1, [0, 0, 0, 0, 0, 0], 100), metrics: { loss: 2, accuracy: 0.2 } }, T0 + 1);
    const { effects } = e.submitUpdate({ ...update('b', 1, [0, 0, 0, 0, 0, 0], 300), metrics: { loss: 0.4, accuracy: 0.9 } }, T0 + 2);
    const [closed] = ofType(effects, 'roundClosed');
    // (100 * 2 + 300 * 0.4) / 400 and (100 * 0.2 + 300 * 0.9) / 400
    expect(closed!.trainLoss).toBeCloseTo(0.8);
    expect(closed!.trainAccuracy).toBeCloseTo(0.725);
  });

  it('starts the next round only after the round was persisted, from the new global', () => {
    const e = training();
    e.submitUpdate(update('a', 1, [1, 1, 1, 1, 1, 1]), T0);
    const [closed] = ofType(e.submitUpdate(update('b', 1, [1, 1, 1, 1, 1, 1]), T0).effects, 'roundClosed');
    expect(e.tick(T0 + 60_000)).toEqual([]);
    const effects = e.roundPersisted(1, T0 + 100);
    const [broadcast] = ofType(effects, 'broadcastRound');
    expect(broadcast).toMatchObject({ round: 2, deviceIds: ['a', 'b'] });
    expect(broadcast!.global).toBe(closed!.newGlobal);
    expect(e.completedRounds).toBe(1);
    // A device retrying its round-1 upload while round 2 runs is told it arrived.
    expect(e.submitUpdate(update('a', 1, [1, 1, 1, 1, 1, 1]), T0 + 101).result).toEqual({ ok: true, duplicate: true });
    expect(e.submitUpdate(update('a', 3, [1, 1, 1, 1, 1, 1]), T0 + 101).result).toMatchObject({
      ok: false,
      reason: 'update for round 3 but round 2 is running',
    });
  });

  it('rejects a stale round, an unselected device and a wrong federation with reasons', () => {
    const e = training();
    expect(e.submitUpdate(update('a', 2, [0, 0, 0, 0, 0, 0]), T0).result).toEqual({
      ok: false,
      reason: 'update for round 2 but round 1 is running',
    });
    e.deviceOnline('late', T0);
    expect(e.submitUpdate(update('late', 1, [0, 0, 0, 0, 0, 0]), T0).result).toEqual({
      ok: false,
      reason: 'this device was not selected for round 1',
    });
    const wrongFed = { ...update('a', 1, [0, 0, 0, 0, 0, 0]), federationId: 'other' };
    expect(e.submitUpdate(wrongFed, T0).result).toMatchObject({ ok: false, reason: expect.stringContaining('"other"') });
    expect(e.updatesThisRound).toBe(0);
  });

  it('refuses NaN, infinity, wrong shapes, full weights, bad example counts and oversized payloads', () => {
    const e = training();
    const reasonOf = (u: DeviceUpdate) => {
      const { result } = e.submitUpdate(u, T0);
      expect(result.ok).toBe(false);
      return result.ok ? '' : result.reason;
    };
    expect(reasonOf(update('a', 1, [0, NaN, 0, 0, 0, 0]))).toMatch(/#1 \(dense\/kernel\) is NaN/);
    expect(reasonOf(update('a', 1, [0, 0, 0, 0, 0, Infinity]))).toMatch(/#5 \(dense\/bias\) is Infinity/);
    const wrongShape = { ...update('a', 1, [0, 0, 0, 0, 0, 0]) };
    wrongShape.payload = encodeWeights([{ name: 'dense/kernel', shape: [3, 2], dtype: 'float32' }, manifest[1]!], new Float32Array(8), 'delta');
    expect(reasonOf(wrongShape)).toMatch(/tensor 0 is dense\/kernel float32\[3x2\], expected dense\/kernel float32\[2x2\]/);
    expect(reasonOf(update('a', 1, [0, 0, 0, 0, 0, 0], 100, 'weights'))).toMatch(/full weights/);
    expect(reasonOf(update('a', 1, [0, 0, 0, 0, 0, 0], 0))).toMatch(/numExamples/);
    expect(reasonOf(update('a', 1, [0, 0, 0, 0, 0, 0], 1e9))).toMatch(/numExamples/);
    expect(reasonOf(update('a', 1, [0, 0, 0, 0, 0, 0], NaN))).toMatch(/numExamples/);
    expect(reasonOf({ ...update('a', 1, [0, 0, 0, 0, 0, 0]), payload: new Uint8Array(200_000) })).toMatch(/exceeds the \d+-byte limit/);
    expect(reasonOf({ ...update('a', 1, [0, 0, 0, 0, 0, 0]), payload: new Uint8Array([1, 2, 3]) })).toMatch(/shorter than the header/);

    // None of them counted: a then b close the round with exactly their own deltas.
    e.submitUpdate(update('a', 1, [1, 1, 1, 1, 1, 1]), T0);
    const [closed] = ofType(e.submitUpdate(update('b', 1, [1, 1, 1, 1, 1, 1]), T0).effects, 'roundClosed');
    expect([...closed!.newGlobal]).toEqual([2, 3, 4, 5, 6, 7]);
    expect(closed!.rejected).toBe(9);
  });

  it('acknowledges a duplicate update without folding it in again, also after the round closed', () => {
    const e = training({ minDevices: 1 });
    e.deviceOnline('c', T0);
    expect(e.submitUpdate(update('a', 1, [1, 1, 1, 1, 1, 1]), T0).result.ok).toBe(true);
    expect(e.submitUpdate(update('a', 1, [100, 100, 100, 100, 100, 100]), T0).result).toEqual({ ok: true, duplicate: true });
    expect(e.updatesThisRound).toBe(1);
    const [closed] = ofType(e.submitUpdate(update('b', 1, [1, 1, 1, 1, 1, 1]), T0).effects, 'roundClosed');
    expect([...closed!.newGlobal]).toEqual([2, 3, 4, 5, 6, 7]);
    expect(e.submitUpdate(update('b', 1, [9, 9, 9, 9, 9, 9]), T0).result).toEqual({ ok: true, duplicate: true });
    expect(e.submitUpdate(update('c', 1, [9, 9, 9, 9, 9, 9]), T0).result).toMatchObject({ ok: false });
  });

  it('closes at the deadline when the quorum answered', () => {
    const e = engine({ minDevices: 3 });
    for (const id of ['a', 'b', 'c']) e.deviceOnline(id, T0);
    e.start(T0);
    expect(e.selectedThisRound).toBe(3);
    e.submitUpdate(update('a', 1, [1, 1, 1, 1, 1, 1]), T0);
    e.submitUpdate(update('b', 1, [3, 3, 3, 3, 3, 3]), T0);
    expect(e.tick(T0 + 9_999)).toEqual([]);
    const [closed] = ofType(e.tick(T0 + 10_000), 'roundClosed');
    expect(closed).toMatchObject({ round: 1, participants: ['a', 'b'], examples: 200, closedBy: 'deadline' });
    expect([...closed!.newGlobal]).toEqual([3, 4, 5, 6, 7, 8]);
  });

  it('abandons a round below quorum at the deadline and retries the same round number', () => {
    const e = training({ quorum: 1 });
    e.submitUpdate(update('a', 1, [1, 1, 1, 1, 1, 1]), T0);
    const effects = e.tick(T0 + 10_000);
    expect(ofType(effects, 'roundClosed')).toEqual([]);
    const [abandoned] = ofType(effects, 'roundAbandoned');
    expect(abandoned).toMatchObject({
      round: 1,
      answered: 1,
      selected: 2,
      reason: 'only 1 of the 2 devices still in it sent an update by its deadline (2 needed)',
    });
    const [retry] = ofType(effects, 'broadcastRound');
    expect(retry).toMatchObject({ round: 1, deviceIds: ['a', 'b'], deadline: T0 + 20_000 });
    expect(e.updatesThisRound).toBe(0);
    // The retry accepts a fresh update from a and does not count the old one.
    expect(e.submitUpdate(update('a', 1, [2, 2, 2, 2, 2, 2]), T0 + 10_001).result).toEqual({ ok: true, duplicate: false });
  });

  it('drops a selected device that goes offline, closing when everyone left has answered', () => {
    const e = training();
    e.submitUpdate(update('a', 1, [1, 1, 1, 1, 1, 1]), T0);
    const effects = e.deviceOffline('b', T0 + 1);
    expect(ofType(effects, 'deviceDropped')).toEqual([{ type: 'deviceDropped', round: 1, deviceId: 'b' }]);
    expect(ofType(effects, 'roundClosed')[0]).toMatchObject({ participants: ['a'], examples: 100 });
  });

  it('lets a dropped device that reconnects rejoin the running round', () => {
    const e = training();
    e.deviceOffline('b', T0);
    expect(e.selectedThisRound).toBe(1);
    const [again] = ofType(e.deviceOnline('b', T0 + 1), 'broadcastRound');
    expect(again).toMatchObject({ round: 1, deviceIds: ['b'], deadline: T0 + 10_000 });
    expect(e.selectedThisRound).toBe(2);
  });

  it('waits again when every selected device left, counting the devices that were selected (not 0 of 0)', () => {
    const e = training();
    e.deviceOffline('a', T0);
    const effects = e.deviceOffline('b', T0);
    expect(ofType(effects, 'roundAbandoned')).toEqual([
      { type: 'roundAbandoned', round: 1, answered: 0, selected: 2, reason: 'every device selected for it left before sending an update' },
    ]);
    expect(e.status).toBe('waiting');
  });

  it('finishes after maxRounds and ignores start afterwards', () => {
    const e = training({ maxRounds: 1 });
    e.submitUpdate(update('a', 1, [1, 1, 1, 1, 1, 1]), T0);
    e.submitUpdate(update('b', 1, [1, 1, 1, 1, 1, 1]), T0);
    expect(e.roundPersisted(1, T0)).toEqual([{ type: 'statusChanged', status: 'finished', round: 1 }]);
    expect(e.start(T0)).toMatchObject({ outcome: { ok: false, reason: 'cannot start a federation that is finished' }, effects: [] });
    expect(e.status).toBe('finished');
  });

  it('pause drops the running round; resume redoes it from scratch', () => {
    const e = training();
    e.submitUpdate(update('a', 1, [1, 1, 1, 1, 1, 1]), T0);
    const paused = e.pause();
    expect(paused.outcome).toEqual({ ok: true });
    expect(ofType(paused.effects, 'roundAbandoned')[0]).toMatchObject({ round: 1, answered: 1, reason: expect.stringContaining('paused') });
    expect(e.status).toBe('paused');
    expect(e.submitUpdate(update('b', 1, [1, 1, 1, 1, 1, 1]), T0).result).toMatchObject({ ok: false, reason: expect.stringContaining('paused') });
    expect(e.deviceOnline('c', T0)).toEqual([]);
    const [broadcast] = ofType(e.resume(T0 + 5).effects, 'broadcastRound');
    expect(broadcast).toMatchObject({ round: 1, deviceIds: ['a', 'b', 'c'] });
    expect(e.updatesThisRound).toBe(0);
    expect(e.resume(T0).outcome).toEqual({ ok: false, reason: 'cannot resume a federation that is training' });
  });

  it('stop is final: the model stays, nothing starts again', () => {
    const e = training();
    expect(e.stop().effects).toEqual([expect.objectContaining({ type: 'roundAbandoned', round: 1 }), { type: 'statusChanged', status: 'stopped', round: 0 }]);
    expect(e.start(T0).outcome).toMatchObject({ ok: false });
    expect(e.resume(T0).outcome).toMatchObject({ ok: false });
    expect(e.stop().outcome).toEqual({ ok: false, reason: 'federation is already stopped' });
    expect(e.deviceOnline('c', T0)).toEqual([]);
  });

  it('stop during aggregation still adopts the persisted model but starts no round', () => {
    const e = training();
    e.submitUpdate(update('a', 1, [1, 1, 1, 1, 1, 1]), T0);
    e.submitUpdate(update('b', 1, [1, 1, 1, 1, 1, 1]), T0);
    e.stop();
    expect(ofType(e.roundPersisted(1, T0), 'broadcastRound')).toEqual([]);
    expect(e.completedRounds).toBe(1);
    expect([...e.globalWeights]).toEqual([2, 3, 4, 5, 6, 7]);
  });

  it('selects a seeded subset when clientsPerRound is a count', () => {
    const online = new Set(['a', 'b', 'c', 'd', 'e']);
    const first = selectDevices(online, 2, 123);
    expect(first).toHaveLength(2);
    expect(selectDevices(online, 2, 123)).toEqual(first);
    expect(selectDevices(online, 'all', 123)).toEqual(['a', 'b', 'c', 'd', 'e']);
    const e = engine({ clientsPerRound: 1, minDevices: 2 });
    e.deviceOnline('a', T0);
    e.deviceOnline('b', T0);
    const [broadcast] = ofType(e.start(T0).effects, 'broadcastRound');
    expect(broadcast!.deviceIds).toHaveLength(1);
  });

  it('selects a fraction of the online devices, at least one', () => {
    const online = new Set(Array.from({ length: 100 }, (_, i) => `d${String(i).padStart(3, '0')}`));
    expect(selectDevices(online, { fraction: 0.1 }, 5)).toHaveLength(10);
    expect(selectDevices(new Set(['a', 'b', 'c']), { fraction: 0.1 }, 5)).toHaveLength(1);
  });

  it('draws the same participants per round for the same seed, and others for another seed', () => {
    const ids = Array.from({ length: 20 }, (_, i) => `device-${i}`);
    const participants = (modelSeed: number) => {
      const e = engine({ clientsPerRound: { fraction: 0.2 }, minDevices: 20, maxRounds: 4, modelSeed });
      for (const id of ids) e.deviceOnline(id, T0);
      const perRound: string[][] = [];
      let effects = e.start(T0).effects;
      for (let round = 1; round <= 3; round++) {
        const [broadcast] = ofType(effects, 'broadcastRound');
        perRound.push(broadcast!.deviceIds);
        let closed: EngineEffect[] = [];
        for (const id of broadcast!.deviceIds) closed = e.submitUpdate(update(id, round, [0, 0, 0, 0, 0, 0]), T0).effects;
        expect(ofType(closed, 'roundClosed')).toHaveLength(1);
        effects = e.roundPersisted(round, T0);
      }
      return perRound;
    };
    const first = participants(11);
    expect(first.every((r) => r.length === 4)).toBe(true);
    expect(new Set(first.map((r) => r.join())).size).toBeGreaterThan(1);
    expect(participants(11)).toEqual(first);
    expect(participants(12)).not.toEqual(first);
  });

  it('finishes once a round reaches the target accuracy, before maxRounds', () => {
    const e = training({ targetAccuracy: 0.9, maxRounds: 10 });
    e.submitUpdate(update('a', 1, [1, 1, 1, 1, 1, 1]), T0);
    e.submitUpdate(update('b', 1, [1, 1, 1, 1, 1, 1]), T0);
    expect(ofType(e.roundPersisted(1, T0, 0.5), 'broadcastRound')).toHaveLength(1);
    e.submitUpdate(update('a', 2, [1, 1, 1, 1, 1, 1]), T0);
    e.submitUpdate(update('b', 2, [1, 1, 1, 1, 1, 1]), T0);
    expect(e.roundPersisted(2, T0, 0.93)).toEqual([{ type: 'statusChanged', status: 'finished', round: 2 }]);
  });

  it("caps the examples an update may claim at the device's own maximum", () => {
    const e = training();
    const tooMany = { ...update('a', 1, [1, 1, 1, 1, 1, 1], 700), maxExamples: 650 };
    expect(e.submitUpdate(tooMany, T0).result).toMatchObject({ ok: false, reason: expect.stringContaining('1 to 650') });
    expect(e.submitUpdate({ ...tooMany, numExamples: 650 }, T0).result).toEqual({ ok: true, duplicate: false });
  });

  it('extends a round below quorum once by its own length, then abandons it', () => {
    const e = training({ quorum: 1, belowQuorum: 'extend-once' });
    e.submitUpdate(update('a', 1, [1, 1, 1, 1, 1, 1]), T0);
    const [extended] = ofType(e.tick(T0 + 10_000), 'roundExtended');
    expect(extended).toEqual({ type: 'roundExtended', round: 1, deadline: T0 + 20_000, answered: 1, selected: 2 });
    expect(e.status).toBe('training');
    expect(e.tick(T0 + 19_999)).toEqual([]);
    const effects = e.tick(T0 + 20_000);
    expect(ofType(effects, 'roundAbandoned')).toHaveLength(1);
    expect(ofType(effects, 'broadcastRound')[0]).toMatchObject({ round: 1, deadline: T0 + 30_000 });
  });

  it('closes an extended round as soon as the quorum is met', () => {
    const e = training({ quorum: 1, belowQuorum: 'extend-once' });
    e.submitUpdate(update('a', 1, [1, 1, 1, 1, 1, 1]), T0);
    e.tick(T0 + 10_000);
    const { effects } = e.submitUpdate(update('b', 1, [1, 1, 1, 1, 1, 1]), T0 + 15_000);
    expect(ofType(effects, 'roundClosed')[0]).toMatchObject({ round: 1, participants: ['a', 'b'], closedAt: T0 + 15_000 });
  });

  it("sets an adaptive deadline from the slowest selected device's measured time, within floor and ceiling", () => {
    const deadline = { mode: 'adaptive', multiplier: 2, floorMs: 5_000, ceilingMs: 60_000 } as const;
    const e = training({ deadline });
    // Nobody measured yet: the ceiling.
    expect(e.round).toBe(1);
    e.submitUpdate(update('a', 1, [0, 0, 0, 0, 0, 0]), T0 + 4_000);
    e.submitUpdate(update('b', 1, [0, 0, 0, 0, 0, 0]), T0 + 9_000);
    const [second] = ofType(e.roundPersisted(1, T0 + 10_000), 'broadcastRound');
    expect(second).toMatchObject({ round: 2, deadline: T0 + 10_000 + 18_000 });
    e.submitUpdate(update('a', 2, [0, 0, 0, 0, 0, 0]), T0 + 11_000);
    e.submitUpdate(update('b', 2, [0, 0, 0, 0, 0, 0]), T0 + 12_000);
    const [third] = ofType(e.roundPersisted(2, T0 + 12_000), 'broadcastRound');
    expect(third).toMatchObject({ round: 3, deadline: T0 + 12_000 + 5_000 }); // 2 x 2 s is below the floor
    const late = engine({ deadline, minDevices: 1 });
    late.deviceOnline('x', T0);
    expect(ofType(late.start(T0).effects, 'broadcastRound')[0]).toMatchObject({ deadline: T0 + 60_000 });
  });

  it('after a restart, acknowledges a retry of an update already stored instead of refusing it', () => {
    const e = new SyncRoundEngine(config, manifest, {
      status: 'waiting',
      completedRounds: 1,
      global: new Float32Array(6),
      recentContributions: [{ deviceId: 'a', round: 1 }],
    });
    expect(e.submitUpdate(update('a', 1, [1, 1, 1, 1, 1, 1]), T0).result).toEqual({ ok: true, duplicate: true });
    expect(e.submitUpdate(update('b', 1, [1, 1, 1, 1, 1, 1]), T0).result).toMatchObject({ ok: false });
    e.deviceOnline('a', T0);
    expect(ofType(e.deviceOnline('b', T0), 'broadcastRound')[0]).toMatchObject({ round: 2, deviceIds: ['a', 'b'] });
  });

  it("takes updates only in the federation's uplink codec and folds int8 ones in", () => {
    const e = training({ codec: { uplink: 'int8', downlink: 'float32' } });
    expect(e.submitUpdate(update('a', 1, [1, 1, 1, 1, 1, 1]), T0).result).toMatchObject({ ok: false, reason: expect.stringContaining('int8') });
    const int8 = { ...update('a', 1, [0, 0, 0, 0, 0, 0]), payload: encodeWeights(manifest, new Float32Array([1, 1, 1, 1, 1, 1]), 'delta', { name: 'int8' }) };
    expect(e.submitUpdate(int8, T0).result).toEqual({ ok: true, duplicate: false });
    const [closed] = ofType(e.submitUpdate({ ...int8, deviceId: 'b' }, T0).effects, 'roundClosed');
    expect([...closed!.newGlobal]).toEqual([2, 3, 4, 5, 6, 7]);
  });
});
