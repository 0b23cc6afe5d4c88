import type { EventLogEntry, RoundRecord } from '@flock/fl-core';
import { describe, expect, it } from 'vitest';
import { RoundLedger } from './roundLedger.ts';

const record = (round: number): RoundRecord => ({
  round,
  participants: 8,
  examples: 160,
  accuracy: 0.5,
  loss: 1,
  trainLoss: 1,
  trainAccuracy: 0.8,
  durationMs: 1_000,
  bytesUp: 1,
  bytesDown: 1,
  rejected: 0,
  completedAt: new Date(0).toISOString(),
  closedBy: 'all-answered',
  deadlineMs: 20_000,
  extended: false,
  meanStaleness: null,
});
const event = (kind: string, message: string, at = '2026-01-01T00:00:00.000Z'): EventLogEntry => ({
  at,
  federationId: 'f',
  level: 'warn',
  kind,
  message,
  deviceId: null,
});

describe('RoundLedger', () => {
  it('counts each abandoned attempt once although the event log is read in overlapping windows', () => {
    const ledger = new RoundLedger();
    const abandoned = event('round-abandoned', 'round 2 abandoned with 1 of 8 updates (deadline); it will be redone');
    ledger.noteEvents([abandoned]);
    ledger.noteEvents([abandoned, event('round-abandoned', 'round 2 abandoned with 0 of 8 updates (deadline); it will be redone', '2026-01-01T00:01:00.000Z')]);
    expect(ledger.abandoned).toBe(2);
  });

  it('reports per round the dropouts it was told of and whether the round kept the deadline it started with', () => {
    const ledger = new RoundLedger();
    ledger.noteDropped(1);
    ledger.noteDropped(1);
    expect(ledger.report(record(1))).toMatchObject({ round: 1, dropped: 2, closedBy: 'all-answered', withinDeadline: true });
    expect(ledger.report({ ...record(2), closedBy: 'deadline', extended: true, durationMs: 30_000, deadlineMs: 40_000 })).toMatchObject({
      dropped: 0,
      withinDeadline: false,
    });
    expect(ledger.report({ ...record(3), deadlineMs: null, closedBy: 'buffer-full' }).withinDeadline).toBeNull();
    expect(ledger.droppedTotal).toBe(2);
  });
});
