import { describe, expect, it } from 'vitest';
import { describeAnswer } from './answerWords.ts';
import { QueryAnswerMessage, QueryAskMessage } from './messages.ts';
import { queryContextOf, parseQuery, type QueryContext } from './queryContext.ts';

const csv: QueryContext = { classes: ['low', 'mid', 'high'], columns: ['age', 'income', 'region'], labelColumn: 'risk', maxExamplesPerDevice: 100_000 };
const images = queryContextOf({ dataset: { kind: 'mnist', partition: 'iid', examplesPerDevice: 100, seed: 1 } });

function reason(body: unknown, context = csv): string {
  const parsed = parseQuery(body, context);
  if (parsed.ok) throw new Error(`expected ${JSON.stringify(body)} to be refused`);
  return parsed.reason;
}

describe('parseQuery', () => {
  it('fills in the privacy floor and the deadline', () => {
    expect(parseQuery({ kind: 'label-histogram' }, images)).toEqual({
      ok: true,
      query: { kind: 'label-histogram', privacy: { minDevices: 5 }, deadlineMs: 30_000 },
    });
    const stats = parseQuery(
      { kind: 'column-stats', columns: [{ name: 'age', low: 0, high: 100 }], privacy: { minDevices: 3, epsilon: 1, examplesPerDevice: 500 } },
      csv,
    );
    expect(stats).toMatchObject({ ok: true, query: { columns: [{ name: 'age', bins: 10 }], privacy: { minDevices: 3, epsilon: 1, examplesPerDevice: 500 } } });
  });

  it('reads the context of a federation: classes, and columns only for CSV data', () => {
    expect(images).toEqual({ classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'], columns: null, labelColumn: null, maxExamplesPerDevice: 100_000 });
    const own = queryContextOf({
      dataset: { kind: 'device', schema: { type: 'csv', features: ['a', 'b'], label: 'y', classes: ['n', 'y'] }, testFraction: 0.2 },
      maxExamplesPerDevice: 2_000,
    });
    expect(own).toEqual({ classes: ['n', 'y'], columns: ['a', 'b'], labelColumn: 'y', maxExamplesPerDevice: 2_000 });
  });

  it('refuses malformed queries with a reason a person can act on', () => {
    expect(reason({ kind: 'histogram' })).toBe('kind: Kind must be one of label-histogram, column-stats, quantiles, confusion-matrix, frequent-values.');
    expect(reason({ kind: 'label-histogram', privacy: { minDevices: 1 } })).toBe(
      'privacy.minDevices: Enter a whole number from 2 to 100,000 (fewer than 2 would report one device alone) (not 1).',
    );
    expect(reason({ kind: 'label-histogram', privacy: { epsilon: 1 } })).toMatch(
      /^privacy\.examplesPerDevice: Epsilon needs examplesPerDevice: the noise is sized/,
    );
    expect(reason({ kind: 'label-histogram', privacy: { epsilon: 0, examplesPerDevice: 10 } })).toMatch(
      /^privacy\.epsilon: Enter a number above 0 and at most 100/,
    );
    expect(reason({ kind: 'label-histogram', colour: 'red' })).toBe('Remove colour: no such setting.');
    expect(reason({ kind: 'quantiles', column: 'age', edges: [0, 10, 5], quantiles: [0.5] })).toBe('edges: Bin edges must rise, each above the one before.');
    expect(reason({ kind: 'quantiles', column: 'age', edges: [0, 10], quantiles: [1.5] })).toMatch(
      /^quantiles\.0: Enter a number from 0 to 1 \(a quantile is a fraction/,
    );
    expect(reason({ kind: 'column-stats', columns: [{ name: 'age', low: 5, high: 5 }] })).toBe('columns.0.high: Low must be below high.');
    expect(reason({ kind: 'column-stats', columns: [] })).toBe('columns: Name at least one column.');
    expect(reason({ kind: 'column-stats', columns: [{ name: 'age', high: 5 }] })).toBe('columns.0.low: Enter the lowest value expected (low), a number.');
  });

  it("refuses a query the federation's data cannot answer, naming what it holds", () => {
    expect(reason({ kind: 'quantiles', column: 'height', edges: [0, 1], quantiles: [0.5] })).toBe(
      'The data has no numeric column "height" (its columns: age, income, region).',
    );
    expect(reason({ kind: 'quantiles', column: 'risk', edges: [0, 1], quantiles: [0.5] })).toMatch(
      /"risk" is the label column: ask for a label-histogram or frequent-values of it\.$/,
    );
    expect(reason({ kind: 'column-stats', columns: [{ name: 'age', low: 0, high: 1 }] }, images)).toBe(
      "column-stats reads CSV columns, and this federation's devices hold images: ask for a label-histogram instead.",
    );
    expect(reason({ kind: 'frequent-values', values: ['mid', 'extreme'] })).toBe('"extreme" is not a class: the labels are low, mid, high.');
    expect(reason({ kind: 'frequent-values', column: 'region' })).toBe(
      'Column "region" holds numbers: list the codes to count as numbers in values (e.g. [0, 1, 2]).',
    );
    expect(parseQuery({ kind: 'frequent-values', column: 'risk', values: ['high'] }, csv).ok).toBe(true);
    expect(parseQuery({ kind: 'frequent-values', column: 'region', values: [1, 2, 7] }, csv).ok).toBe(true);
  });
});

describe('describeAnswer', () => {
  it('says exactly what leaves the device, in numbers a person can check', () => {
    const parsed = parseQuery({ kind: 'label-histogram', privacy: { minDevices: 10 } }, images);
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(describeAnswer(parsed.query, images)).toBe(
      '10 numbers: how many of your examples carry each label (0, 1, 2, 3, 4, 5, 6, 7, 8, 9). Nothing is reported unless at least 10 devices answer.',
    );
    const noisy = parseQuery({ kind: 'frequent-values', column: 'region', values: [1, 2], privacy: { epsilon: 0.5, examplesPerDevice: 1000 } }, csv);
    if (!noisy.ok) throw new Error(noisy.reason);
    expect(describeAnswer(noisy.query, csv)).toBe(
      "4 numbers: how many of your examples have each column region value 1, 2, and for each whether you hold it at all (1 or 0). If you hold more than 1,000 examples, a random 1,000 of them are counted. Nothing is reported unless at least 5 devices answer. The coordinator adds noise to the sum of all devices' numbers (ε = 0.5) before anyone sees it.",
    );
  });
});

describe('query messages', () => {
  it('carry a parsed query to the device and its answer back', () => {
    const parsed = parseQuery({ kind: 'label-histogram' }, images);
    if (!parsed.ok) throw new Error(parsed.reason);
    const ask = { queryId: 'q7', query: parsed.query, context: images, deadline: 1_700_000_000_000, whatLeaves: describeAnswer(parsed.query, images) };
    expect(QueryAskMessage.parse(JSON.parse(JSON.stringify(ask)))).toEqual(ask);
    expect(QueryAnswerMessage.safeParse({ queryId: 'q7', answer: [1, 2, 3] }).success).toBe(true);
    expect(QueryAnswerMessage.safeParse({ queryId: '../q7', answer: [1] }).success).toBe(false);
  });
});
