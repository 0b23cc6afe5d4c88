import type { EventLogEntry, FederationConfig, RoundRecord } from '@flock/fl-core';
import { describe, expect, it } from 'vitest';
import { RoundLedger } from './roundLedger.ts';

const sync = { mode: { kind: 'sync' } } as FederationConfig;
const record = (round: number): RoundRecord => ({
  round,
  participants: 8,
  examples: 160,
  accuracy: 0.5,
  loss: 1,
  trainLoss: 1,
  durationMs: 1_000,
  bytesUp: 1,
  bytesDown: 1,
  rejected: 0,
  completedAt: new Date(0).toISOString(),
});
const event = (kind: string, message: string, at = '2026-01-01T00:00:00.000Z'): EventLogEntry => ({ at, federationId: 'f', level: 'warn', kind, message, deviceId: null });

describe('RoundLedger', () => {
  it('counts each abandoned attempt once although the event log is read in overlapping windows', () => {
    const ledger = new RoundLedger(sync);
    const abandoned = event('round-abandoned', 'round 2 abandoned with 1 of 8 updates (deadline); it will be redone');
    ledger.noteEvents([abandoned]);
    ledger.noteEvents([abandoned, event('round-abandoned', 'round 2 abandoned with 0 of 8 updates (deadline); it will be redone', '2026-01-01T00:01:00.000Z')]);
    expect(ledger.abandoned).toBe(2);
  });

  it('reports per round the dropouts it was told of, how the round closed and whether it kept its deadline', () => {
    const ledger = new RoundLedger(sync);
    ledger.noteDropped(1);
    ledger.noteDropped(1);
    ledger.noteEvents([
      event('round-closed', 'round 1 closed with every selected device: 8 devices, 160 examples, accuracy 50.0%'),
      event('round-extended', 'round 2 below quorum at its deadline (2 of 8 updates): waiting until 2026-01-01T00:02:00.000Z'),
      event('round-closed', 'round 2 closed at its deadline: 5 devices, 100 examples, accuracy 60.0%'),
    ]);
    expect(ledger.report(record(1))).toMatchObject({ round: 1, dropped: 2, closedBy: 'all-answered', extended: false, withinDeadline: true });
    expect(ledger.report(record(2))).toMatchObject({ round: 2, dropped: 0, closedBy: 'deadline', extended: true, withinDeadline: false });
    expect(ledger.droppedTotal).toBe(2);
    expect(new RoundLedger({ mode: { kind: 'async', bufferSize: 2, maxStaleness: 1 } } as FederationConfig).report(record(1)).withinDeadline).toBeNull();
  });
});
