import { createRng } from '@flock/fl-core';
import { parseQuery, type AnalyticsQueryInput, type QueryContext } from '@flock/fl-core/analytics';
import { describe, expect, it } from 'vitest';
import { QueryRun, type QueryEffect } from './queryRun.ts';

const T0 = 1_000_000;
const context: QueryContext = { classes: ['cat', 'dog', 'fox'], columns: null, labelColumn: null, maxExamplesPerDevice: 1_000 };

function run(body: AnalyticsQueryInput = { kind: 'label-histogram', privacy: { minDevices: 2 }, deadlineMs: 5_000 }): QueryRun {
  const parsed = parseQuery(body, context);
  if (!parsed.ok) throw new Error(parsed.reason);
  return new QueryRun({ queryId: 'q1', query: parsed.query, context, random: createRng(1) });
}

function only<T extends QueryEffect['type']>(effects: QueryEffect[], type: T): Extract<QueryEffect, { type: T }> {
  expect(effects.map((e) => e.type)).toEqual([type]);
  return effects[0] as Extract<QueryEffect, { type: T }>;
}

describe('QueryRun', () => {
  it('asks every online device, sums their answers and closes when all answered', () => {
    const q = run();
    expect(q.start(['c', 'a', 'b'], T0)).toEqual([{ type: 'askDevices', queryId: 'q1', deviceIds: ['a', 'b', 'c'], deadline: T0 + 5_000 }]);
    expect(q.status).toBe('running');
    expect(q.answer('a', [1, 2, 0], T0 + 1)).toEqual({ result: { ok: true, duplicate: false }, effects: [] });
    expect(q.answer('a', [1, 2, 0], T0 + 2).result).toEqual({ ok: true, duplicate: true });
    expect(q.answer('b', [0, 0, 3], T0 + 3).effects).toEqual([]);
    const done = only(q.answer('c', [4, 0, 1], T0 + 4).effects, 'queryDone');
    expect(done).toEqual({
      type: 'queryDone',
      queryId: 'q1',
      result: { kind: 'label-histogram', classes: ['cat', 'dog', 'fox'], counts: [5, 2, 4], devices: 3 },
      asked: 3,
      answered: 3,
      closedBy: 'all-answered',
      at: T0 + 4,
    });
    expect(q.status).toBe('done');
    expect(q.answer('c', [1, 1, 1], T0 + 5).result).toEqual({ ok: false, reason: 'query q1 is closed: the answer was not counted' });
  });

  it('closes at the deadline with the answers it has, when they reach the floor', () => {
    const q = run();
    q.start(['a', 'b', 'c'], T0);
    q.answer('a', [1, 0, 0], T0);
    q.answer('b', [0, 1, 0], T0);
    expect(q.tick(T0 + 4_999)).toEqual([]);
    expect(only(q.tick(T0 + 5_000), 'queryDone')).toMatchObject({ result: { counts: [1, 1, 0], devices: 2 }, asked: 3, answered: 2, closedBy: 'deadline' });
  });

  it('is refused below the floor: at the start, at the deadline, or when too many left', () => {
    const early = run({ kind: 'label-histogram', privacy: { minDevices: 3 } });
    expect(only(early.start(['a', 'b'], T0), 'queryRefused').reason).toBe(
      'only 2 devices are online and the query needs answers from at least 3 (its minDevices), so it was not asked. Ask again when more devices are online, or lower minDevices.',
    );
    expect(early.status).toBe('refused');

    const late = run({ kind: 'label-histogram', privacy: { minDevices: 3 }, deadlineMs: 5_000 });
    late.start(['a', 'b', 'c'], T0);
    late.answer('a', [1, 0, 0], T0);
    late.answer('b', [1, 0, 0], T0);
    const refused = only(late.tick(T0 + 5_000), 'queryRefused');
    expect(refused).toMatchObject({ asked: 3, answered: 2 });
    expect(refused.reason).toMatch(/^only 2 devices answered and the query needs at least 3 \(its minDevices\), so nothing is reported/);

    // Devices that left may come back before the deadline: below the floor it waits for them.
    const left = run({ kind: 'label-histogram', privacy: { minDevices: 3 }, deadlineMs: 5_000 });
    left.start(['a', 'b', 'c'], T0);
    left.answer('a', [1, 0, 0], T0);
    expect(left.deviceOffline('b', T0 + 1)).toEqual([]);
    expect(left.deviceOffline('c', T0 + 2)).toEqual([]);
    expect(only(left.tick(T0 + 5_000), 'queryRefused').reason).toMatch(/^only 1 device answered and the query needs at least 3/);
  });

  it('asks a device that left and came back again, and counts its answer', () => {
    const q = run({ kind: 'label-histogram', privacy: { minDevices: 2 }, deadlineMs: 5_000 });
    q.start(['a', 'b'], T0);
    q.answer('a', [1, 0, 0], T0);
    expect(q.deviceOffline('b', T0 + 1)).toEqual([]);
    expect(q.deviceOnline('b')).toEqual([{ type: 'askDevices', queryId: 'q1', deviceIds: ['b'], deadline: T0 + 5_000 }]);
    expect(q.deviceOnline('z')).toEqual([]);
    expect(only(q.answer('b', [0, 2, 0], T0 + 2).effects, 'queryDone').result).toMatchObject({ counts: [1, 2, 0], devices: 2 });
  });

  it('closes once every device still connected answered, when they reach the floor', () => {
    const q = run();
    q.start(['a', 'b', 'c'], T0);
    q.answer('a', [1, 0, 0], T0);
    q.deviceOffline('c', T0);
    expect(only(q.answer('b', [0, 1, 0], T0 + 1).effects, 'queryDone')).toMatchObject({ asked: 3, answered: 2, closedBy: 'all-answered' });
  });

  it("refuses an answer from a device it did not ask, or one that breaks the query's bounds, and counts it", () => {
    const q = run({ kind: 'label-histogram', privacy: { minDevices: 2, examplesPerDevice: 10 } });
    q.start(['a', 'b'], T0);
    expect(q.answer('x', [1, 0, 0], T0).result).toEqual({ ok: false, reason: 'this device was not asked query q1' });
    expect(q.answer('a', [1, 0], T0).result).toEqual({
      ok: false,
      reason: 'the answer to query q1 was refused: the answer holds 2 numbers, the query asks for 3',
    });
    expect(q.answer('a', [8, 0, 8], T0).result).toEqual({
      ok: false,
      reason: "the answer to query q1 was refused: the answer's counts add up to 16, more than one device may contribute (10)",
    });
    expect(q.answer('a', [1, Number.POSITIVE_INFINITY, 0], T0).result).toMatchObject({ ok: false, reason: expect.stringContaining('not a finite number') });
    expect(q.rejected).toBe(3);
    // A refused answer does not use up the device's turn.
    expect(q.answer('a', [1, 0, 0], T0).result).toEqual({ ok: true, duplicate: false });
  });

  it('adds noise within its stated bound when the query asks for epsilon', () => {
    const q = run({ kind: 'label-histogram', privacy: { minDevices: 2, epsilon: 1, examplesPerDevice: 10 } });
    q.start(['a', 'b'], T0);
    q.answer('a', [3, 0, 7], T0);
    const done = only(q.answer('b', [0, 10, 0], T0).effects, 'queryDone');
    if (done.result.kind !== 'label-histogram') throw new Error(done.result.kind);
    const bound = done.result.noise!.noiseBound.counts!;
    expect(bound).toBeCloseTo(10 * Math.log(3e6));
    done.result.counts.forEach((c, i) => expect(Math.abs(c - [3, 10, 7][i]!)).toBeLessThanOrEqual(bound));
  });
});
