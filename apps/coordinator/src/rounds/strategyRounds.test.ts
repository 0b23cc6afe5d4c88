import { describe, expect, it } from 'vitest';
import { createRng, epsilonAfter, gaussian, StrategyConfig, type FederationConfig, type WeightsManifest } from '@flock/fl-core';
import type { DeviceUpdate, EngineEffect } from './engineEffects.ts';
import { ENGINE_TEST_CONFIG, T0, testUpdate } from '../testing/engineTesting.ts';
import { FedBuffEngine } from './fedBuffEngine.ts';
import { SyncRoundEngine } from './syncRoundEngine.ts';

const manifest: WeightsManifest = [{ name: 'w', shape: [2], dtype: 'float32' }];

const config: FederationConfig = {
  ...ENGINE_TEST_CONFIG,
  name: 'strategies',
  dataset: { kind: 'mnist', partition: 'iid', examplesPerDevice: 600, numDevices: 4, seed: 1 },
  maxRounds: 10,
};

const update = (deviceId: string, round: number, values: number[], numExamples = 100): DeviceUpdate =>
  testUpdate(manifest, deviceId, round, values, numExamples);

function closed(effects: EngineEffect[]): Extract<EngineEffect, { type: 'roundClosed' }> {
  const e = effects.find((x): x is Extract<EngineEffect, { type: 'roundClosed' }> => x.type === 'roundClosed');
  if (!e) throw new Error('round did not close');
  return e;
}

function running(overrides: Partial<FederationConfig>, random?: () => number): SyncRoundEngine {
  const e = new SyncRoundEngine({ ...config, ...overrides }, manifest, { status: 'idle', completedRounds: 0, global: Float32Array.of(0, 0), random });
  e.deviceOnline('a', T0);
  e.deviceOnline('b', T0);
  e.start(T0);
  return e;
}

describe('round engines aggregate through the federation strategy', () => {
  it('coordinate-wise median over three devices ignores the scaled one', () => {
    const e = running({ strategy: { name: 'median', options: {} } });
    e.deviceOnline('c', T0);
    // c joined after round 1 went out: it trains from round 2
    e.submitUpdate(update('a', 1, [1, 1]), T0 + 1);
    const r1 = closed(e.submitUpdate(update('b', 1, [3, 3]), T0 + 2).effects);
    expect([...r1.newGlobal]).toEqual([2, 2]);
    e.roundPersisted(1, T0 + 3);
    e.submitUpdate(update('a', 2, [1, 1]), T0 + 4);
    e.submitUpdate(update('b', 2, [2, 2]), T0 + 5);
    const r2 = closed(e.submitUpdate(update('c', 2, [-1000, 1000]), T0 + 6).effects);
    expect([...r2.newGlobal]).toEqual([3, 4]);
  });

  it('FedAdam steps with its server optimizer and FedProx sends its mu in the instructions', () => {
    const adam = running({ strategy: StrategyConfig.parse({ name: 'fedadam', options: { eta: 0.1, beta1: 0.5, beta2: 0.75, tau: 0.5 } }) });
    adam.submitUpdate(update('a', 1, [2, 2]), T0 + 1);
    const r = closed(adam.submitUpdate(update('b', 1, [2, 2]), T0 + 2).effects);
    expect(r.newGlobal[0]).toBeCloseTo(0.1 / 1.5, 6);
    expect(running({ strategy: { name: 'fedprox', options: { mu: 0.2 } } }).instructions).toEqual({ proximalMu: 0.2 });
  });

  it("FedAdam's moments go out with each closed round and a restarted engine resumes them", () => {
    const strategy = StrategyConfig.parse({ name: 'fedadam', options: { eta: 0.1, beta1: 0.5, beta2: 0.75, tau: 0.5 } });
    const twoRounds = (e: SyncRoundEngine, round: number, values: number[]) => {
      e.submitUpdate(update('a', round, values), T0 + 1);
      return closed(e.submitUpdate(update('b', round, values), T0 + 2).effects);
    };
    const uninterrupted = running({ strategy });
    const r1 = twoRounds(uninterrupted, 1, [2, 2]);
    expect([...r1.serverState!]).toEqual([1, 1, 1, 1]); // m = 0.5*2, v = 0.25*4 per value
    uninterrupted.roundPersisted(1, T0 + 3);
    const r2 = twoRounds(uninterrupted, 2, [1, 1]);

    const restarted = new SyncRoundEngine({ ...config, strategy }, manifest, {
      status: 'waiting',
      completedRounds: 1,
      global: r1.newGlobal,
      serverState: r1.serverState,
    });
    restarted.deviceOnline('a', T0);
    restarted.deviceOnline('b', T0);
    expect([...twoRounds(restarted, 2, [1, 1]).newGlobal]).toEqual([...r2.newGlobal]);
    const forgetful = new SyncRoundEngine({ ...config, strategy }, manifest, { status: 'waiting', completedRounds: 1, global: r1.newGlobal });
    forgetful.deviceOnline('a', T0);
    forgetful.deviceOnline('b', T0);
    expect(twoRounds(forgetful, 2, [1, 1]).newGlobal[0]).not.toBeCloseTo(r2.newGlobal[0]!, 6);
  });

  it('central DP: refuses an update longer than the clip norm, noises the clipped sum, reports epsilon', () => {
    const privacy = { mode: 'central' as const, clipNorm: 1, noiseMultiplier: 1, delta: 1e-5, onTarget: 'stop' as const };
    const e = running({ privacy }, createRng(5));
    expect(e.instructions).toEqual({ clipNorm: 1 });
    const refused = e.submitUpdate(update('a', 1, [3, 4]), T0 + 1).result;
    expect(refused).toMatchObject({ ok: false, reason: expect.stringMatching(/L2 norm 5.000.*clips updates to 1/) });
    e.submitUpdate(update('a', 1, [0.6, 0.8]), T0 + 2);
    const r = closed(e.submitUpdate(update('b', 1, [0, 1]), T0 + 3).effects);
    const noise = createRng(5);
    expect(r.newGlobal[0]).toBeCloseTo((0.6 + gaussian(noise)) / 2, 5);
    expect(r.newGlobal[1]).toBeCloseTo((1.8 + gaussian(noise)) / 2, 5);
    expect(r.epsilon).toBe(epsilonAfter({ ...config, privacy }, 1));
    expect(r.epsilon).toBeGreaterThan(0);
  });

  it('stops at the privacy target when told to, and only warns otherwise', () => {
    const privacy = { mode: 'central' as const, clipNorm: 10, noiseMultiplier: 1, delta: 1e-5, targetEpsilon: 0.5, onTarget: 'stop' as const };
    const stop = running({ privacy });
    stop.submitUpdate(update('a', 1, [1, 1]), T0 + 1);
    stop.submitUpdate(update('b', 1, [1, 1]), T0 + 2);
    stop.roundPersisted(1, T0 + 3, 0.5);
    expect(stop.status).toBe('finished');
    const warn = running({ privacy: { ...privacy, onTarget: 'warn' } });
    warn.submitUpdate(update('a', 1, [1, 1]), T0 + 1);
    warn.submitUpdate(update('b', 1, [1, 1]), T0 + 2);
    warn.roundPersisted(1, T0 + 3, 0.5);
    expect(warn.status).toBe('training');
  });

  it('FedBuff aggregates through the strategy too, and a round without DP has no epsilon', () => {
    const e = new FedBuffEngine({ ...config, mode: { kind: 'async', bufferSize: 2, maxStaleness: 3 } }, manifest, {
      status: 'idle',
      completedRounds: 0,
      global: Float32Array.of(0, 0),
    });
    e.deviceOnline('a', T0);
    e.deviceOnline('b', T0);
    e.start(T0);
    e.submitUpdate(update('a', 1, [1, 0], 100), T0 + 1);
    const r = closed(e.submitUpdate(update('b', 1, [0, 1], 300), T0 + 2).effects);
    expect([...r.newGlobal]).toEqual([0.25, 0.75]);
    expect(r.epsilon).toBeNull();
  });
});
