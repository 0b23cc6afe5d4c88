import type { FederationConfig, WeightsManifest } from '@flock/fl-core';
import type { EngineCore, EngineInit } from './engineCore.ts';
import { FedBuffEngine } from './fedBuffEngine.ts';
import { SyncRoundEngine } from './syncRoundEngine.ts';

export type FederationEngine = EngineCore;

/** The engine for the federation's aggregation mode: synchronous rounds or FedBuff. */
export function createEngine(config: FederationConfig, manifest: WeightsManifest, init: EngineInit): FederationEngine {
  return config.mode.kind === 'async' ? new FedBuffEngine(config, manifest, init) : new SyncRoundEngine(config, manifest, init);
}
