import type { CoordinatorSummary } from '@flock/fl-core/protocol';
import { describe, expect, it } from 'vitest';
import { coordinatorWords, formatSpan } from './coordinatorWords.ts';

const coordinator = (overrides: Partial<CoordinatorSummary>): CoordinatorSummary => ({
  id: 'coordinator-a',
  url: 'http://10.0.0.5:3000',
  startedAt: '2026-01-01T10:00:00.000Z',
  lastSeen: '2026-01-01T12:05:00.000Z',
  silentMs: 3_000,
  alive: true,
  devices: 1,
  federations: ['demo', 'mnist-2'],
  ...overrides,
});

describe('coordinator words', () => {
  it('say how long in the unit a person reads', () => {
    expect(formatSpan(400)).toBe('0 s');
    expect(formatSpan(25_000)).toBe('25 s');
    expect(formatSpan(3 * 60_000 + 10_000)).toBe('3 min');
    expect(formatSpan(2 * 3_600_000)).toBe('2 h');
    expect(formatSpan(2 * 3_600_000 + 5 * 60_000)).toBe('2 h 5 min');
    expect(formatSpan(3 * 86_400_000)).toBe('3 days');
  });

  it('describe a coordinator heard from a moment ago: how long it is up, what it runs, its devices', () => {
    const words = coordinatorWords(coordinator({}));
    expect(words.upSince).toMatch(/^up since .+ \(2 h 5 min\)$/);
    expect(words.heard).toBe('last heard from 3 s ago');
    expect(words.runs).toBe('runs demo, mnist-2');
    expect(words.devices).toBe('1 device connected');
  });

  it('say that a coordinator gone silent may have stopped, and one without federations runs none', () => {
    const words = coordinatorWords(coordinator({ alive: false, silentMs: 25_000, federations: [], devices: 1_200 }));
    expect(words.heard).toBe('not heard from for 25 s: it may have stopped');
    expect(words.runs).toBe('runs no federation now');
    expect(words.devices).toBe('1,200 devices connected');
  });
});
