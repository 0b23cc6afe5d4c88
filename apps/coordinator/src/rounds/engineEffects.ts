import type { FederationStatus } from '@flock/fl-core';

/** The round engine's inputs from devices and the effects it asks its adapters to carry out. */

export interface DeviceUpdate {
  federationId: string;
  deviceId: string;
  round: number;
  numExamples: number;
  /** The most examples this device may claim: its shard's size, or what it declared for its own data. */
  maxExamples: number;
  payload: Uint8Array;
  metrics: { loss: number; accuracy: number };
}

export type UpdateResult = { ok: true; duplicate: boolean } | { ok: false; reason: string };

export type EngineEffect =
  | { type: 'broadcastRound'; round: number; deviceIds: string[]; deadline: number; global: Float32Array }
  | {
      type: 'roundClosed';
      round: number;
      newGlobal: Float32Array;
      participants: string[];
      examples: number;
      trainLoss: number | null;
      bytesUp: number;
      rejected: number;
      startedAt: number;
      closedAt: number;
    }
  | { type: 'roundAbandoned'; round: number; reason: string; answered: number; selected: number }
  | { type: 'deviceDropped'; round: number; deviceId: string }
  | { type: 'statusChanged'; status: FederationStatus; round: number };
