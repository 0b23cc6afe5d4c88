import { describe, expect, it } from 'vitest';
import { answeredLines } from './answeredQueries.ts';

describe('answered queries on the device page', () => {
  it('lists the newest first with every number that left, in full', () => {
    const lines = answeredLines([
      { queryId: 'q1', kind: 'label-histogram', at: '2026-12-06T02:00:00.000Z', whatLeaves: '3 numbers: …', numbers: [4, 0, 12] },
      { queryId: 'q2', kind: 'column-stats', at: '2026-12-06T02:01:00.000Z', whatLeaves: '5 numbers: …', numbers: [10, -3.25, 17.0625, 0, 1] },
    ]);
    expect(lines.map((l) => l.title)).toEqual(['column stats', 'label histogram']);
    expect(lines[0]).toMatchObject({ numbers: '10, -3.25, 17.0625, 0, 1', count: 5 });
    expect(lines[1]).toMatchObject({ numbers: '4, 0, 12', count: 3, layout: null });
  });

  it('shows a confusion matrix as a line per true label', () => {
    const [line] = answeredLines([
      { queryId: 'q3', kind: 'confusion-matrix', at: '2026-12-06T02:02:00.000Z', whatLeaves: '4 numbers: …', numbers: [5, 1, 0, 7] },
    ]);
    expect(line).toMatchObject({
      title: 'confusion matrix',
      numbers: '5, 1\n0, 7',
      count: 4,
      layout: 'a line per true label, a number per label the model predicted (2 x 2)',
    });
  });
});
