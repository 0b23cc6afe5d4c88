import type { QueryContext } from '@flock/fl-core/analytics';
import { describe, expect, it } from 'vitest';
import { defaultDeadlineSeconds, draftQuery, initialDraft, kindsFor, type QueryDraft } from './queryDraft.ts';

const csv: QueryContext = { classes: ['no', 'yes'], columns: ['age', 'income', 'region'], labelColumn: 'churned', maxExamplesPerDevice: 5000 };
const images: QueryContext = { classes: ['0', '1', '2'], columns: null, labelColumn: null, maxExamplesPerDevice: 600 };

const drafted = (context: QueryContext, fields: Partial<QueryDraft>) => draftQuery({ ...initialDraft(context), ...fields }, context);

describe('the Data view form', () => {
  it('offers the column kinds only when the devices hold CSV columns', () => {
    expect(kindsFor(images)).toEqual(['label-histogram', 'confusion-matrix', 'frequent-values']);
    expect(kindsFor(csv)).toContain('column-stats');
    expect(kindsFor(csv)).toContain('quantiles');
  });

  it('reads a label histogram with its privacy, defaults filled in', () => {
    const result = drafted(images, { epsilon: '1', examplesPerDevice: '500', minDevices: '10', deadlineSeconds: '45' });
    expect(result).toEqual({
      ok: true,
      query: { kind: 'label-histogram', privacy: { minDevices: 10, epsilon: 1, examplesPerDevice: 500 }, deadlineMs: 45_000 },
    });
  });

  it("leaves an empty deadline to the kind's default, longer for a confusion matrix whose devices run the model", () => {
    expect(drafted(images, { kind: 'confusion-matrix' })).toMatchObject({ ok: true, query: { deadlineMs: 180_000 } });
    expect(drafted(images, {})).toMatchObject({ ok: true, query: { deadlineMs: 30_000 } });
    expect([defaultDeadlineSeconds('confusion-matrix'), defaultDeadlineSeconds('label-histogram')]).toEqual(['180', '30']);
  });

  it('reads column statistics over the picked columns, quantiles and frequent codes', () => {
    const stats = drafted(csv, {
      kind: 'column-stats',
      statsColumns: [
        { name: 'age', low: '18', high: '90', bins: '8' },
        { name: 'income', low: '0', high: '1e5', bins: '10' },
      ],
    });
    expect(stats.ok && stats.query).toMatchObject({
      kind: 'column-stats',
      columns: [
        { name: 'age', low: 18, high: 90, bins: 8 },
        { name: 'income', low: 0, high: 100_000, bins: 10 },
      ],
    });
    const quantiles = drafted(csv, { kind: 'quantiles', column: 'age', edges: '0, 20, 40,60', quantiles: '0.5, 0.9' });
    expect(quantiles.ok && quantiles.query).toMatchObject({ column: 'age', edges: [0, 20, 40, 60], quantiles: [0.5, 0.9] });
    const codes = drafted(csv, { kind: 'frequent-values', frequentColumn: 'region', values: '1, 2, 3', k: '3' });
    expect(codes.ok && codes.query).toMatchObject({ column: 'region', values: [1, 2, 3], k: 3 });
  });

  it('counts labels by class name, every class when none is listed', () => {
    const listed = drafted(csv, { kind: 'frequent-values', values: 'yes, no,' });
    expect(listed.ok && listed.query).toMatchObject({ values: ['yes', 'no'] });
    expect(listed.ok && 'column' in listed.query).toBe(false);
    const all = drafted(images, { kind: 'frequent-values' });
    expect(all.ok && all.query).not.toHaveProperty('values');
  });

  it('names a field that is not a number, with an example of one', () => {
    expect(drafted(images, { minDevices: 'five' })).toEqual({ ok: false, reason: 'fewest devices: "five" is not a number; enter one, e.g. 5.' });
    expect(drafted(csv, { kind: 'quantiles', edges: '0, ten' })).toEqual({
      ok: false,
      reason: 'bin edges: "ten" is not a number; enter one, e.g. 0, 10, 20, 30.',
    });
    expect(drafted(csv, { kind: 'quantiles', quantiles: ' , ' })).toEqual({
      ok: false,
      reason: 'quantiles: enter numbers separated by commas, e.g. 0.5, 0.9.',
    });
  });

  it('refuses what the coordinator would refuse, with its reason', () => {
    const noExamples = drafted(images, { epsilon: '1' });
    expect(noExamples.ok).toBe(false);
    expect(!noExamples.ok && noExamples.reason).toMatch(/epsilon needs examplesPerDevice/i);
    const unknownClass = drafted(csv, { kind: 'frequent-values', values: 'maybe' });
    expect(!unknownClass.ok && unknownClass.reason).toMatch(/"maybe" is not a class: the labels are no, yes/);
    const falling = drafted(csv, { kind: 'quantiles', edges: '10, 5' });
    expect(!falling.ok && falling.reason).toMatch(/bin edges must rise/i);
  });
});
