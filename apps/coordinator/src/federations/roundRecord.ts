import type { FederationConfig, RoundRecord } from '@flock/fl-core';
import type { EngineEffect } from '../rounds/engineEffects.ts';
import type { RoundTraffic } from '../storage/store.ts';

export type RoundClosed = Extract<EngineEffect, { type: 'roundClosed' }>;

/** What is stored and shown for a closed round: the engine's account of it plus the coordinator's evaluation. */
export function roundRecordOf(
  e: RoundClosed,
  evaluation: { accuracy: number; loss: number } | null,
  /** Every coordinator's, with several. */
  traffic: RoundTraffic,
  mode: FederationConfig['mode'],
): RoundRecord {
  return {
    round: e.round,
    participants: e.participants.length,
    examples: e.examples,
    accuracy: evaluation?.accuracy ?? null,
    loss: evaluation?.loss ?? null,
    trainLoss: e.trainLoss,
    trainAccuracy: e.trainAccuracy,
    durationMs: e.closedAt - e.startedAt,
    bytesUp: e.bytesUp,
    bytesDown: traffic.bytesDown,
    abandonedBytesUp: traffic.abandonedBytesUp,
    abandonedBytesDown: traffic.abandonedBytesDown,
    rejected: e.rejected,
    completedAt: new Date(e.closedAt).toISOString(),
    closedBy: e.closedBy,
    deadlineMs: e.deadline === null ? null : e.deadline - e.startedAt,
    extended: e.extended,
    meanStaleness: mode.kind === 'async' ? e.meanStaleness : null,
    epsilon: e.epsilon,
  };
}
