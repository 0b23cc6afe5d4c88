import { describe, expect, it } from 'vitest';
import { checkDraft, datasetOfKind, getIn, listOfText, NEW_FEDERATION_DRAFT, problemsByPath, setIn } from './federationDraft.ts';

describe('federation drafts', () => {
  it('the new-federation draft is a valid config once it has an id and a name', () => {
    const empty = checkDraft(NEW_FEDERATION_DRAFT);
    expect(empty.ok).toBe(false);
    if (!empty.ok) expect(new Set(empty.problems.map((p) => p.path))).toEqual(new Set(['id', 'name']));
    const named = setIn(setIn(NEW_FEDERATION_DRAFT, ['id'], 'clothes'), ['name'], 'Clothes');
    const checked = checkDraft(named);
    expect(checked.ok).toBe(true);
  });

  it('sets nested values without touching the original, and removes a field set to undefined', () => {
    const edited = setIn(NEW_FEDERATION_DRAFT, ['training', 'learningRate'], 0.05);
    expect(getIn(edited, ['training', 'learningRate'])).toBe(0.05);
    expect(NEW_FEDERATION_DRAFT.training.learningRate).toBe(0.1);
    expect(edited.dataset).toBe(NEW_FEDERATION_DRAFT.dataset);
    expect('optimizer' in setIn(edited, ['training', 'optimizer'], undefined).training).toBe(false);
  });

  it('names the field of a bad value and says in words what to enter (no raw zod text)', () => {
    const bad = setIn(setIn(setIn(NEW_FEDERATION_DRAFT, ['id'], 'x'), ['name'], 'x'), ['training', 'batchSize'], Number.NaN);
    expect(checkDraft(bad)).toEqual({
      ok: false,
      problems: [{ path: 'training.batchSize', field: 'batch size', text: 'Enter a whole number from 1 to 4096.' }],
    });
    const unnamed = checkDraft(setIn(NEW_FEDERATION_DRAFT, ['id'], 'fed one'));
    expect(unnamed.ok ? [] : [...problemsByPath(unnamed.problems)]).toEqual([
      ['id', 'Use letters, digits, _ and - only.'],
      ['name', 'Enter the name.'],
    ]);
  });

  it('refuses what the coordinator would refuse across fields, for the whole federation', () => {
    const named = setIn(setIn(NEW_FEDERATION_DRAFT, ['id'], 'robust'), ['name'], 'Robust');
    const robustAsync = setIn(setIn(named, ['mode'], { kind: 'async', bufferSize: 2, maxStaleness: 2 }), ['strategy'], { name: 'median', options: {} });
    expect(checkDraft(robustAsync)).toEqual({
      ok: false,
      problems: [
        {
          path: '',
          field: 'the federation',
          text: 'Strategy: strategy median is not supported in async (FedBuff) mode, which aggregates with FedAvg; choose fedavg or sync mode.',
        },
      ],
    });
  });

  it('takes secure aggregation, and says why a draft cannot run it', () => {
    const named = setIn(setIn(NEW_FEDERATION_DRAFT, ['id'], 'secure'), ['name'], 'Secure');
    const secure = setIn(setIn(named, ['secureAggregation'], { enabled: true }), ['minDevices'], 5);
    expect(checkDraft(secure).ok).toBe(true);
    const median = checkDraft(setIn(secure, ['strategy'], { name: 'median', options: {} }));
    expect(median.ok ? [] : median.problems.map((p) => p.text)).toEqual([expect.stringContaining('secure aggregation shows the coordinator only their sum')]);
  });

  it('switching the dataset kind keeps the partition between demo datasets and starts device data with a schema', () => {
    expect(datasetOfKind('fashion-mnist', NEW_FEDERATION_DRAFT.dataset)).toEqual({ ...NEW_FEDERATION_DRAFT.dataset, kind: 'fashion-mnist' });
    const device = datasetOfKind('device', NEW_FEDERATION_DRAFT.dataset);
    expect(device).toMatchObject({ kind: 'device', schema: { type: 'csv' } });
    expect(datasetOfKind('mnist', device)).toMatchObject({ kind: 'mnist', partition: 'iid' });
    expect(listOfText(' a, b ,,c')).toEqual(['a', 'b', 'c']);
  });
});
