import { describe, expect, it } from 'vitest';
import type { FederationConfig, WeightsManifest } from '@flock/fl-core';
import { effectsOfType as ofType, ENGINE_TEST_CONFIG as config, T0, testUpdate } from '../testing/engineTesting.ts';
import { SyncRoundEngine, type SecureRoundOutcome } from './syncRoundEngine.ts';

const manifest: WeightsManifest = [{ name: 'dense/kernel', shape: [2], dtype: 'float32' }];
const secure: Partial<FederationConfig> = { secureAggregation: { enabled: true }, deadline: { mode: 'fixed', ms: 10_000 } };

/** A securely aggregated federation in round 1 with devices a and b selected. */
function training(): SyncRoundEngine {
  const e = new SyncRoundEngine({ ...config, ...secure }, manifest, { status: 'idle', completedRounds: 0, global: new Float32Array([1, 2]) });
  e.deviceOnline('a', T0);
  e.deviceOnline('b', T0);
  const { effects } = e.start(T0);
  expect(ofType(effects, 'secureRoundOpened')).toEqual([{ type: 'secureRoundOpened', round: 1, deviceIds: ['a', 'b'], startedAt: T0, deadline: T0 + 10_000 }]);
  return e;
}

describe('SyncRoundEngine with secure aggregation', () => {
  it('opens each round for its stages and refuses a plain update, saying how updates travel instead', () => {
    const e = training();
    const { result } = e.submitUpdate(testUpdate(manifest, 'a', 1, [1, 1]), T0 + 1);
    expect(result).toEqual({ ok: false, reason: expect.stringContaining('sends its update masked') });
    expect(e.uploadProblem('a', 1)).toMatch(/aggregates securely/);
  });

  it("closes the round with the stages' unmasked mean, weighted as the contributors' examples", () => {
    const e = training();
    const outcome: SecureRoundOutcome = {
      ok: true,
      mean: new Float32Array([0.5, -1]),
      contributors: ['a', 'b'],
      totalWeight: 300,
      bytesUp: 24,
      closedBy: 'all-answered',
    };
    const [closed] = ofType(e.secureRoundEnded(1, outcome, T0 + 5), 'roundClosed');
    expect([...closed!.newGlobal]).toEqual([1.5, 1]);
    expect(closed).toMatchObject({ round: 1, participants: ['a', 'b'], examples: 300, bytesUp: 24, closedBy: 'all-answered', trainLoss: null });
  });

  it('redoes the round with a fresh selection when the stages end without a sum, and ignores an outcome for another round', () => {
    const e = training();
    expect(e.secureRoundEnded(2, { ok: false, reason: 'ignored' }, T0 + 1)).toEqual([]);
    const effects = e.secureRoundEnded(1, { ok: false, reason: 'secure aggregation stopped at its unmask stage (too few shares)' }, T0 + 2);
    expect(ofType(effects, 'roundAbandoned')).toEqual([
      { type: 'roundAbandoned', round: 1, reason: 'secure aggregation stopped at its unmask stage (too few shares)', answered: 0, selected: 2 },
    ]);
    expect(ofType(effects, 'secureRoundOpened')).toMatchObject([{ round: 1, deviceIds: ['a', 'b'] }]);
  });

  it('leaves the deadline to the stages, and calls the round off only once twice its span passed without an outcome', () => {
    const e = training();
    expect(e.tick(T0 + 10_000)).toEqual([]);
    expect(e.tick(T0 + 19_999)).toEqual([]);
    expect(ofType(e.tick(T0 + 20_000), 'roundAbandoned')).toMatchObject([{ round: 1, reason: expect.stringContaining('did not finish') }]);
  });
});
