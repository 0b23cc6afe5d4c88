import { describe, expect, it } from 'vitest';
import { answerLayout, answerProblem } from './answerLayout.ts';
import { columnSlot, quantileSlot } from './deviceAnswer.ts';
import type { AnalyticsQueryInput } from './query.ts';
import { parseQuery, type QueryContext } from './queryContext.ts';

const context: QueryContext = { classes: ['a', 'b', 'c'], columns: ['x', 'y'], labelColumn: 'label', maxExamplesPerDevice: 1_000 };

function layoutOf(body: AnalyticsQueryInput) {
  const parsed = parseQuery(body, context);
  if (!parsed.ok) throw new Error(parsed.reason);
  return answerLayout(parsed.query, context);
}

describe('answerLayout', () => {
  it('gives every kind a fixed length and each group the most one device can add to it', () => {
    expect(layoutOf({ kind: 'label-histogram' })).toMatchObject({ length: 3, groups: [{ name: 'counts', start: 0, length: 3, integer: true, l1: 1_000 }] });
    expect(layoutOf({ kind: 'confusion-matrix', privacy: { examplesPerDevice: 50 } }).groups).toEqual([
      { name: 'counts', start: 0, length: 9, integer: true, l1: 50 },
    ]);
    expect(layoutOf({ kind: 'quantiles', column: 'x', edges: [0, 1, 2], quantiles: [0.5] }).length).toBe(4);
    expect(layoutOf({ kind: 'frequent-values', values: ['a', 'c'] }).groups.map((g) => [g.name, g.length, g.l1])).toEqual([
      ['counts', 2, 1_000],
      ['holders', 2, 2],
    ]);
    const stats = layoutOf({
      kind: 'column-stats',
      columns: [
        { name: 'x', low: -1, high: 3, bins: 2 },
        { name: 'y', low: 0, high: 10, bins: 3 },
      ],
      privacy: { examplesPerDevice: 10 },
    });
    expect(stats.groups.map((g) => [g.name, g.start, g.length, g.l1])).toEqual([
      ['count', 0, 1, 10],
      ['sums', 1, 2, 10 * (2 + 5)],
      ['squares', 3, 2, 10 * (4 + 25)],
      ['bins', 5, 4 + 5, 20],
    ]);
    expect([...stats.low.subarray(0, 5)]).toEqual([0, -20, -50, 0, 0]);
    expect([...stats.high.subarray(0, 5)]).toEqual([10, 20, 50, 40, 250]);
  });

  it("refuses a device's answer that is the wrong length, not a number, out of bounds or more than one device can add", () => {
    const layout = layoutOf({ kind: 'label-histogram', privacy: { examplesPerDevice: 10 } });
    expect(answerProblem(layout, [3, 0, 7])).toBeNull();
    expect(answerProblem(layout, [3, 0])).toBe('the answer holds 2 numbers, the query asks for 3');
    expect(answerProblem(layout, [3, Number.NaN, 0])).toBe('number 2 of the answer (counts) is not a finite number');
    expect(answerProblem(layout, [3, 0.5, 0])).toBe('number 2 of the answer (counts) is 0.5, not a whole count');
    expect(answerProblem(layout, [-1, 0, 0])).toBe('number 1 of the answer (counts) is -1, outside 0 to 10');
    expect(answerProblem(layout, [6, 0, 6])).toBe("the answer's counts add up to 12, more than one device may contribute (10)");
  });
});

describe('histogram slots', () => {
  it('puts values below, inside and above the edges in their slots, the top edge in the last bin', () => {
    const edges = [0, 10, 20, 30];
    expect([-1, 0, 9.99, 10, 25, 30, 30.01].map((x) => quantileSlot(edges, x))).toEqual([0, 1, 1, 2, 3, 3, 4]);
    const column = { low: 0, high: 1, bins: 4 };
    expect([-0.1, 0, 0.24, 0.25, 1, 1.5].map((x) => columnSlot(column, x))).toEqual([0, 1, 1, 2, 4, 5]);
  });
});
