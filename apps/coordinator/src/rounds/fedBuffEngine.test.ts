import { describe, expect, it } from 'vitest';
import type { FederationConfig, WeightsManifest } from '@flock/fl-core';
import type { DeviceUpdate } from './engineEffects.ts';
import { effectsOfType as ofType, ENGINE_TEST_CONFIG, T0, testUpdate } from '../testing/engineTesting.ts';
import { FedBuffEngine, stalenessWeight } from './fedBuffEngine.ts';

const manifest: WeightsManifest = [{ name: 'w', shape: [2], dtype: 'float32' }];

const config: FederationConfig = { ...ENGINE_TEST_CONFIG, name: 'async', maxRounds: 5, mode: { kind: 'async', bufferSize: 2, maxStaleness: 1 } };

function engine(overrides: Partial<FederationConfig> = {}): FedBuffEngine {
  return new FedBuffEngine({ ...config, ...overrides }, manifest, { status: 'idle', completedRounds: 0, global: new Float32Array([0, 0]) });
}

const update = (deviceId: string, round: number, values: [number, number], numExamples = 100): DeviceUpdate =>
  testUpdate(manifest, deviceId, round, values, numExamples);

/** Running, with a, b and c each sent the round-1 model. */
function running(): FedBuffEngine {
  const e = engine();
  e.deviceOnline('a', T0);
  e.deviceOnline('b', T0);
  const [sent] = ofType(e.start(T0).effects, 'broadcastRound');
  expect(sent).toMatchObject({ round: 1, deviceIds: ['a', 'b'] });
  expect(ofType(e.deviceOnline('c', T0), 'broadcastRound')[0]).toMatchObject({ round: 1, deviceIds: ['c'] });
  return e;
}

describe('FedBuffEngine', () => {
  it('weights staleness by 1/sqrt(1+s)', () => {
    expect(stalenessWeight(0)).toBe(1);
    expect(stalenessWeight(3)).toBe(0.5);
  });

  it('hands a free device the latest model at once and aggregates every bufferSize updates', () => {
    const e = running();
    const first = e.submitUpdate(update('a', 1, [1, 1]), T0 + 1);
    expect(first.result).toEqual({ ok: true, duplicate: false });
    // a is free again and gets more work straight away, still on the round-1 model.
    expect(ofType(first.effects, 'broadcastRound')[0]).toMatchObject({ round: 1, deviceIds: ['a'] });
    const { effects } = e.submitUpdate(update('b', 1, [3, 3], 300), T0 + 2);
    const [closed] = ofType(effects, 'roundClosed');
    expect(closed).toMatchObject({ round: 1, participants: ['a', 'b'], examples: 400, meanStaleness: 0, startedAt: T0, closedAt: T0 + 2 });
    expect([...closed!.newGlobal]).toEqual([2.5, 2.5]);
    expect(e.status).toBe('aggregating');
    // No new model goes out before the aggregated one is stored.
    expect(ofType(effects, 'broadcastRound')).toEqual([]);
    const [next] = ofType(e.roundPersisted(1, T0 + 3), 'broadcastRound');
    expect(next).toMatchObject({ round: 2, deviceIds: ['b'] });
    expect(next!.global).toBe(closed!.newGlobal);
  });

  it('down-weights a stale update and refuses one beyond maxStaleness with a reason', () => {
    const e = running();
    e.submitUpdate(update('a', 1, [0, 0]), T0);
    e.submitUpdate(update('b', 1, [0, 0]), T0);
    e.roundPersisted(1, T0);
    // c still trains on the round-1 model: one round stale.
    e.submitUpdate(update('c', 1, [4, 4]), T0 + 1);
    const [closed] = ofType(e.submitUpdate(update('a', 2, [1, 1]), T0 + 2).effects, 'roundClosed');
    // (100 x 4 x 1/sqrt(2) + 100 x 1) / (100/sqrt(2) + 100)
    const w = stalenessWeight(1);
    expect(closed!.newGlobal[0]).toBeCloseTo((4 * w + 1) / (w + 1), 5);
    expect(closed!.meanStaleness).toBe(0.5);
    e.roundPersisted(2, T0 + 3);
    expect(e.submitUpdate(update('d', 1, [1, 1]), T0 + 4).result).toEqual({
      ok: false,
      reason: 'update for round 1 is 2 rounds stale (the model is at round 3, max staleness 1)',
    });
    expect(e.submitUpdate(update('d', 4, [1, 1]), T0 + 4).result).toMatchObject({ ok: false, reason: expect.stringContaining('latest model is for round 3') });
  });

  it('counts each (device, round) once, also across a restart', () => {
    const e = running();
    e.submitUpdate(update('a', 1, [1, 1]), T0);
    expect(e.submitUpdate(update('a', 1, [9, 9]), T0).result).toEqual({ ok: true, duplicate: true });
    expect(e.updatesThisRound).toBe(1);
    const restarted = new FedBuffEngine(config, manifest, {
      status: 'waiting',
      completedRounds: 1,
      global: new Float32Array(2),
      recentContributions: [{ deviceId: 'a', round: 1 }],
    });
    expect(restarted.submitUpdate(update('a', 1, [9, 9]), T0).result).toEqual({ ok: true, duplicate: true });
    expect(restarted.submitUpdate(update('b', 1, [1, 1]), T0).result).toEqual({ ok: true, duplicate: false });
  });

  it('keeps buffered and arriving updates while paused, and aggregates them on resume', () => {
    const e = running();
    e.submitUpdate(update('a', 1, [1, 1]), T0);
    expect(e.pause().outcome).toEqual({ ok: true });
    const late = e.submitUpdate(update('b', 1, [1, 1]), T0 + 1);
    expect(late.result).toEqual({ ok: true, duplicate: false });
    expect(late.effects).toEqual([]);
    const [closed] = ofType(e.resume(T0 + 2).effects, 'roundClosed');
    expect(closed).toMatchObject({ round: 1, participants: ['a', 'b'] });
  });

  it('marks a device that vanishes as dropped and sends it the latest model when it returns', () => {
    const e = running();
    expect(ofType(e.deviceOffline('c', T0), 'deviceDropped')).toEqual([{ type: 'deviceDropped', round: 1, deviceId: 'c' }]);
    expect(e.selectedThisRound).toBe(2);
    expect(ofType(e.deviceOnline('c', T0 + 1), 'broadcastRound')[0]).toMatchObject({ round: 1, deviceIds: ['c'] });
  });

  it('finishes at maxRounds and refuses later updates', () => {
    const e = engine({ maxRounds: 1 });
    e.deviceOnline('a', T0);
    e.deviceOnline('b', T0);
    e.start(T0);
    e.submitUpdate(update('a', 1, [1, 1]), T0);
    e.submitUpdate(update('b', 1, [1, 1]), T0);
    expect(e.roundPersisted(1, T0)).toEqual([{ type: 'statusChanged', status: 'finished', round: 1 }]);
    expect(e.submitUpdate(update('a', 2, [1, 1]), T0).result).toMatchObject({ ok: false, reason: expect.stringContaining('finished') });
  });
});
