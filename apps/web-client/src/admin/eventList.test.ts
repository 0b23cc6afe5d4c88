import type { EventLogEntry } from '@flock/fl-core/protocol';
import { describe, expect, it } from 'vitest';
import { mergeEvents } from './eventList.ts';

const event = (second: number, kind: string, level: EventLogEntry['level'] = 'info'): EventLogEntry => ({
  at: new Date(Date.UTC(2025, 0, 1, 0, 0, second)).toISOString(),
  federationId: 'demo',
  level,
  kind,
  message: `${kind} at ${second}`,
  deviceId: null,
});

describe('mergeEvents', () => {
  it('keeps each event once, newest first, when history and the live feed overlap', () => {
    const live = [event(5, 'round-closed'), event(4, 'round-started')];
    const history = [event(4, 'round-started'), event(3, 'paused', 'warn'), event(1, 'started')];
    expect(mergeEvents(live, history, 10).map((e) => e.kind)).toEqual(['round-closed', 'round-started', 'paused', 'started']);
  });

  it('drops the oldest beyond the cap', () => {
    const merged = mergeEvents([event(3, 'c'), event(2, 'b')], [event(1, 'a')], 2);
    expect(merged.map((e) => e.kind)).toEqual(['c', 'b']);
  });
});

describe('mergeEvents with repeated events', () => {
  it('shows a repeated event once, with the newest count and at its latest time', () => {
    const first = { ...event(1, 'update-rejected', 'warn'), message: 'refused' };
    const again = { ...first, at: event(9, 'x').at, count: 37, firstAt: first.at };
    const merged = mergeEvents([first, event(5, 'round-started')], [again], 10);
    expect(merged.map((e) => [e.kind, e.count ?? 1])).toEqual([['update-rejected', 37], ['round-started', 1]]);
    expect(mergeEvents([again], [first], 10).map((e) => e.count ?? 1)).toEqual([37]);
  });
});
