import type { EventLogEntry } from '@flock/fl-core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { throttleRepeats } from './repeatThrottle.ts';

const refused = (count: number): EventLogEntry => ({
  at: new Date(Date.UTC(2025, 0, 1, 0, 0, count)).toISOString(),
  federationId: 'f',
  level: 'warn',
  kind: 'update-rejected',
  message: 'update for round 1 rejected: not selected',
  deviceId: 'd',
  ...(count > 1 ? { count, firstAt: new Date(Date.UTC(2025, 0, 1)).toISOString() } : {}),
});

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('throttleRepeats', () => {
  it('pushes a flood of repeats once a second per row, ending with the latest count', () => {
    const pushed: EventLogEntry[] = [];
    const feed = throttleRepeats((e) => pushed.push(e), 1_000);
    for (let n = 1; n <= 500; n++) feed(refused(n));
    expect(pushed.map((e) => e.count ?? 1)).toEqual([1, 2]);
    vi.advanceTimersByTime(1_000);
    expect(pushed.at(-1)!.count).toBe(500);
    vi.advanceTimersByTime(5_000);
    expect(pushed).toHaveLength(3);
  });

  it('pushes events that do not repeat at once', () => {
    const pushed: EventLogEntry[] = [];
    const feed = throttleRepeats((e) => pushed.push(e));
    feed({ ...refused(1), kind: 'a' });
    feed({ ...refused(1), kind: 'b' });
    expect(pushed.map((e) => e.kind)).toEqual(['a', 'b']);
  });
});
