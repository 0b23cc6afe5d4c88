import type { FederationStatus } from '@flock/fl-core';
import type { RoundTrainingMetrics } from './trainingMetrics.ts';

/** The round engines' inputs from devices and the effects they ask their adapters to carry out. */

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

/** An update another part of the federation already folded into a partial aggregate (several coordinators): what the round's record needs of it. */
export interface SharedUpdate {
  deviceId: string;
  round: number;
  examples: number;
  loss: number;
  accuracy: number;
  bytesUp: number;
}

/** How a securely aggregated round's stages ended: the unmasked weighted mean of its contributors, or why none. */
export type SecureRoundOutcome =
  | { ok: true; mean: Float32Array; contributors: string[]; totalWeight: number; bytesUp: number; closedBy: 'all-answered' | 'deadline' }
  | { ok: false; reason: string };

export type UpdateResult = { ok: true; duplicate: boolean } | { ok: false; reason: string };

/** One device's update, named by the round it trained for; stored so a retry is never counted twice. */
export interface Contribution {
  deviceId: string;
  round: number;
  /** The runtime's count of what this device sent and received for the round (DeviceTraffic). */
  bytesUp?: number;
  bytesDown?: number;
  /** What this device moved in attempts at the round that were called off (paused, too few answers). */
  abandonedBytesUp?: number;
  abandonedBytesDown?: number;
}

export type EngineEffect =
  | { type: 'broadcastRound'; round: number; deviceIds: string[]; deadline: number; global: Float32Array }
  | ({
      type: 'roundClosed';
      round: number;
      newGlobal: Float32Array;
      participants: string[];
      contributions: Contribution[];
      examples: number;
      bytesUp: number;
      rejected: number;
      startedAt: number;
      closedAt: number;
      /** Why it closed: every selected device answered, the deadline passed with the quorum, or FedBuff's buffer filled. */
      closedBy: 'all-answered' | 'deadline' | 'buffer-full';
      /** Synchronous rounds: the deadline it closed under (absolute ms) and whether it had been extended. */
      deadline: number | null;
      extended: boolean;
      /** Mean staleness of the aggregated updates (always 0 for synchronous rounds). */
      meanStaleness: number;
      /** Differential privacy spent once this round is in the model; null without DP. */
      epsilon: number | null;
      /** The strategy's server state after this round's step, stored with its model; null when stateless. */
      serverState: Float64Array | null;
    } & RoundTrainingMetrics)
  /** Shared aggregation: a round opened; the adapter makes it known to every coordinator before the model goes out. */
  | { type: 'roundOpened'; round: number; deviceIds: string[]; deadline: number; startedAt: number; global: Float32Array }
  /** Shared aggregation: the round may close; the adapter collects every coordinator's partial and answers with sealed(). */
  | { type: 'roundSealing'; round: number }
  /** Secure aggregation: a round opened whose updates come masked; the adapter runs its stages and answers with secureRoundEnded(). */
  | { type: 'secureRoundOpened'; round: number; deviceIds: string[]; startedAt: number; deadline: number }
  | { type: 'roundExtended'; round: number; deadline: number; answered: number; selected: number }
  | { type: 'roundAbandoned'; round: number; reason: string; answered: number; selected: number }
  | { type: 'deviceDropped'; round: number; deviceId: string }
  | { type: 'statusChanged'; status: FederationStatus; round: number };
