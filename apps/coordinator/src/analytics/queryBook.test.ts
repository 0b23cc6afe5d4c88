import { parseQuery, type AnalyticsQuery, type QueryContext } from '@flock/fl-core/analytics';
import { describe, expect, it } from 'vitest';
import { MemoryQueries } from '../storage/memory/memoryQueries.ts';
import { QueryBook, RESTART_REFUSAL } from './queryBook.ts';
import { QueryRun } from './queryRun.ts';

const T0 = Date.UTC(2026, 11, 6, 2, 0, 0);
const context: QueryContext = { classes: ['cat', 'dog'], columns: null, labelColumn: null, maxExamplesPerDevice: 1_000 };

function histogram(minDevices = 2): AnalyticsQuery {
  const parsed = parseQuery({ kind: 'label-histogram', privacy: { minDevices } }, context);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.query;
}

function submitted(book: QueryBook, federationId = 'fed', query = histogram()) {
  const result = book.submit(federationId, query, context, T0);
  if (!result.ok) throw new Error(result.reason);
  return result.record;
}

describe('QueryBook', () => {
  it("queues queries with ids per federation, and records a run's course: running, then done with the result", () => {
    const book = new QueryBook();
    const first = submitted(book);
    expect(first).toEqual({
      id: 'q1',
      federationId: 'fed',
      query: histogram(),
      status: 'queued',
      whatLeaves: '2 numbers: how many of your examples carry each label (cat, dog). Nothing is reported unless at least 2 devices answer.',
      submittedAt: '2026-12-06T02:00:00.000Z',
      startedAt: null,
      finishedAt: null,
      asked: 0,
      answered: 0,
      result: null,
      reason: null,
    });
    const second = submitted(book);
    expect(book.nextQueued('fed')).toBe(first);
    expect(book.nextQueued('other')).toBeUndefined();

    const run = new QueryRun({ queryId: first.id, query: first.query, context });
    for (const effect of run.start(['a', 'b'], T0 + 1_000)) book.apply('fed', effect, T0 + 1_000);
    expect(book.find('fed', 'q1')).toMatchObject({ status: 'running', startedAt: '2026-12-06T02:00:01.000Z', asked: 2 });
    // One query runs at a time per federation.
    expect(book.nextQueued('fed')).toBeUndefined();
    run.answer('a', [2, 1], T0 + 1_500);
    for (const effect of run.answer('b', [0, 4], T0 + 2_000).effects) book.apply('fed', effect, T0 + 2_000);
    expect(book.find('fed', 'q1')).toMatchObject({
      status: 'done',
      finishedAt: '2026-12-06T02:00:02.000Z',
      answered: 2,
      result: { kind: 'label-histogram', counts: [2, 5], devices: 2 },
    });
    expect(book.nextQueued('fed')).toBe(second);
    expect(book.list('fed').map((r) => r.id)).toEqual(['q2', 'q1']);
  });

  it('records a refusal with its reason', () => {
    const book = new QueryBook();
    const record = submitted(book, 'fed', histogram(5));
    const run = new QueryRun({ queryId: record.id, query: record.query, context });
    for (const effect of run.start(['a'], T0)) book.apply('fed', effect, T0);
    expect(book.find('fed', record.id)).toMatchObject({
      status: 'refused',
      reason: expect.stringMatching(/^only 1 device is online and the query needs answers from at least 5/),
    });
  });

  it('refuses a query when too many wait, and forgets the oldest finished ones beyond what it keeps', () => {
    const book = new QueryBook({ maxQueued: 2, keepFinished: 1 });
    submitted(book);
    submitted(book);
    expect(book.submit('fed', histogram(), context, T0)).toEqual({
      ok: false,
      reason: '2 queries are already waiting on federation fed: ask again once some have finished',
    });
    expect(book.submit('elsewhere', histogram(), context, T0).ok).toBe(true);
    for (const id of ['q1', 'q2']) book.apply('fed', { type: 'queryRefused', queryId: id, reason: 'too few devices', asked: 0, answered: 0, at: T0 }, T0);
    expect(book.list('fed').map((r) => r.id)).toEqual(['q2']);
    expect(book.find('fed', 'q1')).toBeUndefined();
  });

  it('writes each query to the store when submitted and when finished: a book opened over it after a restart answers them, reads one left waiting as refused, never reuses its number and still charges their ε', async () => {
    const stored = new MemoryQueries();
    const book = new QueryBook({}, stored);
    const parsed = parseQuery({ kind: 'label-histogram', privacy: { minDevices: 2, epsilon: 1, examplesPerDevice: 10 } }, context);
    if (!parsed.ok) throw new Error(parsed.reason);
    const noised = submitted(book, 'fed', parsed.query);
    const run = new QueryRun({ queryId: noised.id, query: noised.query, context });
    for (const effect of run.start(['a', 'b'], T0)) book.apply('fed', effect, T0);
    for (const [device, answer] of [
      ['a', [1, 0]],
      ['b', [0, 2]],
    ] as const)
      for (const effect of run.answer(device, [...answer], T0).effects) book.apply('fed', effect, T0);
    const refused = submitted(book, 'fed', histogram(5));
    for (const effect of new QueryRun({ queryId: refused.id, query: refused.query, context }).start(['a'], T0)) book.apply('fed', effect, T0);
    submitted(book);
    expect(book.epsilonSpent('fed')).toBe(1);
    await book.flushed();

    const restarted = await QueryBook.open(stored);
    expect(await restarted.record('fed', 'q1')).toEqual(book.find('fed', 'q1'));
    expect(await restarted.record('fed', 'q2')).toEqual(book.find('fed', 'q2'));
    expect(await restarted.record('fed', 'q3')).toMatchObject({ status: 'refused', reason: RESTART_REFUSAL, finishedAt: null });
    expect(restarted.epsilonSpent('fed')).toBe(1);
    expect(restarted.epsilonSpent('elsewhere')).toBe(0);
    expect(submitted(restarted).id).toBe('q4');
    expect((await restarted.records('fed')).map((r) => [r.id, r.status])).toEqual([
      ['q4', 'queued'],
      ['q3', 'refused'],
      ['q2', 'refused'],
      ['q1', 'done'],
    ]);
  });
});
