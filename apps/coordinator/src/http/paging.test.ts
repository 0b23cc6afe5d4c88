import { DevicesPageQuery, RoundsPageQuery } from '@flock/fl-core';
import { describe, expect, it } from 'vitest';
import { pageOf, type RowAccess } from './paging.ts';
import { roundSeries } from './roundSeries.ts';
import { queryReason } from './consoleApi.ts';

interface Row {
  id: string;
  score: number | null;
  name: string;
}

const access: RowAccess<Row, 'id' | 'score'> = { key: (r) => r.id, value: (r, f) => r[f], text: (r) => r.name };
const rows: Row[] = Array.from({ length: 25 }, (_, i) => ({
  id: `r${String(i).padStart(2, '0')}`,
  score: i % 5 === 4 ? null : i % 7,
  name: i % 2 ? 'Odd Row' : 'even row',
}));
const asc = { field: 'score' as const, descending: false };

function pages(list: Row[], request: { limit: number; sort: typeof asc; filter?: string }): Row[][] {
  const out: Row[][] = [];
  let cursor: string | undefined;
  do {
    const result = pageOf(list, { ...request, cursor }, access);
    if (!result.ok) throw new Error(result.reason);
    out.push(result.page.items);
    cursor = result.page.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

describe('pageOf', () => {
  it('walks every row once in sort order (ties by key, nulls last), and counts the total', () => {
    const walked = pages(rows, { limit: 4, sort: asc }).flat();
    expect(walked.map((r) => r.id).sort()).toEqual(rows.map((r) => r.id).sort());
    const scores = walked.map((r) => r.score);
    const known = scores.filter((s) => s !== null);
    expect(known).toEqual([...known].sort((a, b) => a - b));
    expect(scores.slice(known.length).every((s) => s === null)).toBe(true);
    const first = pageOf(rows, { limit: 4, sort: asc }, access);
    expect(first.ok && first.page.total).toBe(25);
  });

  it('sorts descending with nulls still last', () => {
    const first = pageOf(rows, { limit: 30, sort: { field: 'score', descending: true } }, access);
    if (!first.ok) throw new Error(first.reason);
    expect(first.page.items[0]!.score).toBe(6);
    expect(first.page.items.at(-1)!.score).toBeNull();
    expect(first.page.nextCursor).toBeNull();
  });

  it('filters case-insensitively on the visible text, and total counts the matches only', () => {
    const result = pageOf(rows, { limit: 5, sort: asc, filter: 'ODD' }, access);
    if (!result.ok) throw new Error(result.reason);
    expect(result.page.total).toBe(12);
    expect(result.page.items.every((r) => r.name === 'Odd Row')).toBe(true);
  });

  it('keeps its place when rows arrive before the cursor between pages (no repeats, no gaps)', () => {
    const first = pageOf(rows, { limit: 10, sort: asc }, access);
    if (!first.ok) throw new Error(first.reason);
    const grown = [...rows, { id: 'a-new', score: 0, name: 'new' }];
    const second = pageOf(grown, { limit: 10, sort: asc, cursor: first.page.nextCursor! }, access);
    if (!second.ok) throw new Error(second.reason);
    const seen = new Set(first.page.items.map((r) => r.id));
    expect(second.page.items.some((r) => seen.has(r.id))).toBe(false);
    const all = pages(rows, { limit: 10, sort: asc }).flat();
    expect(second.page.items).toEqual(all.slice(10, 20));
  });

  it('refuses a cursor made for another sort or filter, or one it did not make', () => {
    const first = pageOf(rows, { limit: 3, sort: asc }, access);
    if (!first.ok) throw new Error(first.reason);
    const other = pageOf(rows, { limit: 3, sort: { field: 'id', descending: false }, cursor: first.page.nextCursor! }, access);
    expect(other).toEqual({ ok: false, reason: expect.stringContaining('another sort or filter') });
    expect(pageOf(rows, { limit: 3, sort: asc, cursor: 'not-a-cursor' }, access).ok).toBe(false);
  });
});

describe('page queries', () => {
  it('bounds the limit to 1..100 (default 50) and says so in words', () => {
    expect(DevicesPageQuery.parse({ paged: 'true' }).limit).toBe(50);
    expect(DevicesPageQuery.parse({ paged: 'true', limit: '100' }).limit).toBe(100);
    for (const limit of ['0', '101', '2.5', 'abc']) {
      const parsed = DevicesPageQuery.safeParse({ paged: 'true', limit });
      expect(parsed.success).toBe(false);
      if (!parsed.success) expect(queryReason(parsed.error)).not.toMatch(/Too (small|big)|expected|>=|NaN/);
    }
  });

  it('reads sort as field and direction, and refuses unknown fields and parameters in words', () => {
    expect(RoundsPageQuery.parse({ paged: 'true', sort: '-accuracy' }).sort).toEqual({ field: 'accuracy', descending: true });
    expect(RoundsPageQuery.parse({ paged: 'true' }).sort).toEqual({ field: 'round', descending: true });
    const bad = RoundsPageQuery.safeParse({ paged: 'true', sort: 'color', page: '2' });
    expect(bad.success).toBe(false);
    if (!bad.success)
      expect(queryReason(bad.error)).toBe(
        'This request was refused: Sort by one of round, accuracy, loss, trainAccuracy, durationMs, bytesUp, bytesDown, participants, completedAt (a leading "-" sorts descending). Remove page: no such setting.',
      );
  });
});

describe('roundSeries', () => {
  const record = (round: number) => ({
    round,
    participants: 2,
    examples: 10,
    accuracy: round % 2 ? 0.5 : null,
    loss: 1,
    trainLoss: null,
    trainAccuracy: null,
    durationMs: 100,
    bytesUp: 10,
    bytesDown: 20,
    rejected: 0,
    completedAt: '',
    closedBy: null,
    deadlineMs: null,
    extended: false,
    meanStaleness: null,
  });

  it('gives every round while they fit, and even buckets (last round, means, byte sums) beyond', () => {
    expect(roundSeries([record(1)], 500).points).toHaveLength(1);
    const series = roundSeries(
      Array.from({ length: 1000 }, (_, i) => record(i + 1)),
      100,
    );
    expect(series.rounds).toBe(1000);
    expect(series.points).toHaveLength(100);
    expect(series.points[0]).toMatchObject({
      round: 10,
      accuracy: 0.5,
      trainingAccuracy: null,
      bytesUp: 100,
      bytesDown: 200,
      abandonedBytesDown: 0,
      participants: 2,
      durationMs: 100,
    });
    expect(series.points.at(-1)!.round).toBe(1000);
  });
});
