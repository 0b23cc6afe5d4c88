import { encodeWeights, type FederationConfig, type WeightsManifest } from '@flock/fl-core';
import { testFederationConfig } from '@flock/fl-core/testing';
import type { DeviceUpdate, EngineEffect } from '../rounds/engineEffects.ts';

/** What the engine tests share: a small synchronous federation whose updates the tests hand-encode in float32. */
export const ENGINE_TEST_CONFIG: FederationConfig = testFederationConfig({
  id: 'fed',
  name: 'test',
  dataset: { kind: 'mnist', partition: 'iid', examplesPerDevice: 600, seed: 1 },
  maxRounds: 3,
  minDevices: 2,
  deadline: { mode: 'fixed', ms: 10_000 },
  quorum: 0.5,
  modelSeed: 7,
  codec: { uplink: 'float32', downlink: 'float32' },
});

/** The fake clock's start. */
export const T0 = 1_000_000;

/** Device `deviceId`'s update for `round`: `values` encoded in float32 against `manifest`. */
export function testUpdate(
  manifest: WeightsManifest,
  deviceId: string,
  round: number,
  values: readonly number[],
  numExamples = 100,
  kind: 'delta' | 'weights' = 'delta',
): DeviceUpdate {
  return {
    federationId: ENGINE_TEST_CONFIG.id,
    deviceId,
    round,
    numExamples,
    maxExamples: 600,
    payload: encodeWeights(manifest, Float32Array.from(values), kind, { name: 'float32' }),
    metrics: { loss: 0.5, accuracy: 0.9 },
  };
}

export function effectsOfType<T extends EngineEffect['type']>(effects: EngineEffect[], type: T): Extract<EngineEffect, { type: T }>[] {
  return effects.filter((e): e is Extract<EngineEffect, { type: T }> => e.type === type);
}
