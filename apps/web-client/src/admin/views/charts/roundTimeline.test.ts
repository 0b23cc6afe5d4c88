import type { RoundRecord } from '@flock/fl-core/protocol';
import { describe, expect, it } from 'vitest';
import { timelineBars } from './roundTimeline.ts';

function round(n: number, completedAt: string, durationMs: number): RoundRecord {
  return {
    round: n,
    participants: 3,
    examples: 300,
    accuracy: null,
    loss: null,
    trainLoss: null,
    trainAccuracy: null,
    durationMs,
    bytesUp: 0,
    bytesDown: 0,
    rejected: 0,
    completedAt,
    closedBy: 'all-answered',
    deadlineMs: null,
    extended: false,
    meanStaleness: null,
  };
}

describe('timelineBars', () => {
  it('places rounds on one time axis, gaps included, in round order', () => {
    // Round 1: 0-10 s, round 2: 30-40 s (20 s waiting between them).
    const bars = timelineBars([round(2, '2026-01-01T00:00:40.000Z', 10_000), round(1, '2026-01-01T00:00:10.000Z', 10_000)]);
    expect(bars.map((b) => b.round)).toEqual([1, 2]);
    expect(bars[0]).toMatchObject({ left: 0, width: 25 });
    expect(bars[1]).toMatchObject({ left: 75, width: 25 });
    expect(bars[1]!.title).toBe('round 2: 10.0 s, 3 devices, closed by all-answered');
  });

  it('is empty without rounds', () => {
    expect(timelineBars([])).toEqual([]);
  });
});
