import { AnalyticsQuery, type QueryContext } from '@flock/fl-core/analytics';
import { describe, expect, it } from 'vitest';
import { QueryBook } from '../analytics/queryBook.ts';
import { privacyTargetRefusal, QueryDriver, type QueryAsk, type QueryHooks, type QueryModelPayload } from './queryDriver.ts';

const FED = 'fed';
const CONTEXT: QueryContext = { classes: ['a', 'b', 'c'], columns: null, labelColumn: null, maxExamplesPerDevice: 100 };
const histogram = (privacy: Record<string, number> = { minDevices: 3 }) => AnalyticsQuery.parse({ kind: 'label-histogram', privacy });

/** A driver over a real QueryBook with the runtime faked: the devices online, what was asked, what was logged. */
function setUp(options: { online?: string[]; refusal?: QueryHooks['refusal'] } = {}) {
  const book = new QueryBook();
  const asked: { deviceIds: string[]; msg: QueryAsk }[] = [];
  const events: { level: string; kind: string; message: string }[] = [];
  const state = {
    online: options.online ?? ['d1', 'd2', 'd3'],
    changed: 0,
    model: { round: 2, model: 'mnist-mlp', weights: new Uint8Array([1, 2]) } as QueryModelPayload,
  };
  const driver = new QueryDriver(FED, book, {
    ask: (deviceIds, msg) => asked.push({ deviceIds, msg }),
    record: (level, kind, message) => events.push({ level, kind, message }),
    online: () => state.online,
    context: () => CONTEXT,
    refusal: options.refusal ?? (() => null),
    changed: () => state.changed++,
    model: () => state.model,
    secureAggregation: () => null,
    askSecure: () => {},
    track: () => {},
  });
  const submit = (query = histogram(), now = 0) => {
    const submitted = driver.submit(query, CONTEXT, now);
    if (!submitted.ok) throw new Error(submitted.reason);
    return submitted.record.id;
  };
  return { book, driver, asked, events, state, submit };
}

describe('QueryDriver', () => {
  it('asks every device online, sums their answers into the record and logs the query done', () => {
    const { book, driver, asked, events, submit } = setUp();
    const id = submit(histogram(), 1_000);
    expect(asked).toEqual([
      {
        deviceIds: ['d1', 'd2', 'd3'],
        msg: { queryId: id, query: histogram(), context: { ...CONTEXT, classes: ['a', 'b', 'c'] }, deadline: 31_000, whatLeaves: expect.any(String) as string },
      },
    ]);
    expect(book.find(FED, id)?.status).toBe('running');
    expect(driver.answer('d1', { queryId: id, answer: [1, 2, 0] }, 1_100)).toEqual({ ok: true });
    expect(driver.answer('d2', { queryId: id, answer: [0, 5, 1] }, 1_200)).toEqual({ ok: true });
    expect(driver.answer('d3', { queryId: id, answer: [3, 0, 0] }, 1_300)).toEqual({ ok: true });
    const record = book.find(FED, id)!;
    expect(record).toMatchObject({ status: 'done', asked: 3, answered: 3, result: { kind: 'label-histogram', counts: [4, 7, 1], devices: 3 } });
    expect(events).toEqual([{ level: 'info', kind: 'query-done', message: `query ${id} (label-histogram) answered by 3 of 3 devices asked, without noise` }]);
  });

  it('names the global model in a confusion-matrix ask and result, the one of its start even when a round closes before a device is asked again', () => {
    const { asked, book, driver, state, submit } = setUp();
    const started = state.model;
    const id = submit(AnalyticsQuery.parse({ kind: 'confusion-matrix', privacy: { minDevices: 3 } }));
    state.model = { round: 3, model: 'mnist-mlp', weights: new Uint8Array([3]) };
    driver.deviceOffline('d1', 10);
    driver.deviceOnline('d1', 20);
    expect(asked.map((a) => [a.msg.queryId, a.deviceIds, a.msg.scoredModel])).toEqual([
      [id, ['d1', 'd2', 'd3'], started],
      [id, ['d1'], started],
    ]);
    for (const d of ['d1', 'd2', 'd3']) driver.answer(d, { queryId: id, answer: [1, 0, 0, 0, 1, 0, 0, 0, 1] }, 30);
    // Asked with the model round 2 trains from: the one round 1 made.
    expect(book.find(FED, id)).toMatchObject({
      status: 'done',
      result: {
        kind: 'confusion-matrix',
        matrix: [
          [3, 0, 0],
          [0, 3, 0],
          [0, 0, 3],
        ],
        modelRound: 1,
      },
    });
  });

  it('gives a confusion matrix a deadline that fits scoring many examples, and says what to do when devices answer too late', () => {
    const { book, driver, events, submit } = setUp();
    const confusion = (minDevices: number) => AnalyticsQuery.parse({ kind: 'confusion-matrix', privacy: { minDevices } });
    expect(confusion(2).deadlineMs).toBe(180_000);
    const partial = submit(confusion(2));
    for (const d of ['d1', 'd2']) driver.answer(d, { queryId: partial, answer: [1, 0, 0, 0, 1, 0, 0, 0, 1] }, 10);
    driver.tick(180_000);
    expect(book.find(FED, partial)).toMatchObject({ status: 'done', answered: 2, asked: 3 });
    expect(events.at(-1)?.message).toMatch(
      /closed at its deadline, without noise\. Devices that did not answer by the deadline .* set examplesPerDevice .* or give a longer deadlineMs\.$/,
    );
    const refused = submit(confusion(3), 200_000);
    driver.answer('d1', { queryId: refused, answer: [1, 0, 0, 0, 1, 0, 0, 0, 1] }, 200_010);
    driver.tick(380_000);
    expect(book.find(FED, refused)?.reason).toMatch(
      /^only 1 device answered .* lower minDevices\. Devices that did not answer by the deadline .* set examplesPerDevice/,
    );
  });

  it('runs one query at a time: the next queued one is asked once the running one ends', () => {
    const { book, driver, asked, submit } = setUp();
    const first = submit();
    const second = submit();
    expect(asked.map((a) => a.msg.queryId)).toEqual([first]);
    expect(book.find(FED, second)?.status).toBe('queued');
    for (const d of ['d1', 'd2', 'd3']) driver.answer(d, { queryId: first, answer: [1, 0, 0] }, 10);
    expect(asked.map((a) => a.msg.queryId)).toEqual([first, second]);
    expect(book.find(FED, second)?.status).toBe('running');
    expect(driver.answer('d1', { queryId: first, answer: [1, 0, 0] }, 20)).toEqual({ ok: false, reason: `query ${first} is done: the answer was not counted` });
  });

  it('refuses a query below its device floor at once, logs why, and goes on with the next', () => {
    const { book, asked, events, state, submit } = setUp({ online: ['d1', 'd2'] });
    const id = submit();
    expect(asked).toEqual([]);
    expect(book.find(FED, id)).toMatchObject({
      status: 'refused',
      reason: expect.stringMatching(/^only 2 devices are online .* at least 3 \(its minDevices\)/) as string,
    });
    expect(events[0]).toMatchObject({
      level: 'warn',
      kind: 'query-refused',
      message: expect.stringMatching(new RegExp(`^query ${id} \\(label-histogram\\) refused: only 2`)) as string,
    });
    state.online = ['d1', 'd2', 'd3'];
    const next = submit(histogram());
    expect(book.find(FED, next)?.status).toBe('running');
  });

  it('closes at the deadline with the devices that answered, and asks a device again that comes back before it', () => {
    const { book, driver, asked, submit } = setUp({ online: ['d1', 'd2', 'd3', 'd4'] });
    const id = submit(histogram(), 0);
    for (const d of ['d1', 'd2', 'd3']) driver.answer(d, { queryId: id, answer: [0, 1, 0] }, 100);
    driver.deviceOffline('d4', 200);
    // Three answered meet the floor, and the one gone cannot change that: the query closes.
    expect(book.find(FED, id)).toMatchObject({ status: 'done', answered: 3, asked: 4 });

    const second = submit(histogram({ minDevices: 4 }), 1_000);
    driver.deviceOffline('d4', 1_100);
    driver.deviceOnline('d4', 1_200);
    expect(asked.at(-1)).toMatchObject({ deviceIds: ['d4'], msg: { queryId: second, deadline: 31_000 } });
    for (const d of ['d1', 'd2', 'd3']) driver.answer(d, { queryId: second, answer: [1, 0, 0] }, 1_300);
    driver.tick(30_999);
    expect(book.find(FED, second)?.status).toBe('running');
    driver.tick(31_000);
    expect(book.find(FED, second)).toMatchObject({ status: 'refused', answered: 3, reason: expect.stringMatching(/3 devices answered/) as string });
  });

  it("refuses an answer that breaks the query's layout, counts it as a warning, and still takes the device's honest one", () => {
    const { driver, events, submit } = setUp();
    const id = submit();
    const bad = driver.answer('d1', { queryId: id, answer: [1, 2] }, 10);
    expect(bad).toEqual({ ok: false, reason: expect.stringMatching(new RegExp(`^the answer to query ${id} was refused: `)) as string });
    expect(events).toEqual([expect.objectContaining({ level: 'warn', kind: 'query-answer-refused' })]);
    expect(driver.answer('d1', { queryId: id, answer: [1, 2, 0] }, 20)).toEqual({ ok: true });
    expect(driver.answer('d9', { queryId: 'q99', answer: [1, 2, 0] }, 20)).toEqual({
      ok: false,
      reason: 'query q99 is unknown here: the answer was not counted',
    });
  });

  it('refuses what the runtime refuses before it is queued, and a queued one whose turn comes when it no longer may run', () => {
    let refusal: string | null = 'this federation aggregates securely and queries cannot use secure sums yet';
    const { book, driver, submit } = setUp({ refusal: () => refusal });
    expect(driver.submit(histogram(), CONTEXT, 0)).toEqual({ ok: false, reason: refusal });
    expect(book.list(FED)).toEqual([]);
    refusal = null;
    const first = submit();
    const second = submit();
    refusal = "this query's ε 1 would bring the federation's privacy spend past its target";
    for (const d of ['d1', 'd2', 'd3']) driver.answer(d, { queryId: first, answer: [1, 0, 0] }, 10);
    expect(book.find(FED, second)).toMatchObject({ status: 'refused', reason: refusal, asked: 0 });
  });

  it('counts the ε of each query done, which the privacy target check adds to training’s', () => {
    const spent: number[] = [];
    const { driver, events, submit } = setUp({ refusal: (_query, epsilon) => (spent.push(epsilon), null) });
    const noisy = histogram({ minDevices: 3, epsilon: 1, examplesPerDevice: 10 });
    const id = submit(noisy);
    for (const d of ['d1', 'd2', 'd3']) driver.answer(d, { queryId: id, answer: [1, 0, 0] }, 10);
    expect(driver.epsilonSpent).toBe(1);
    expect(events.at(-1)?.message).toBe(`query ${id} (label-histogram) answered by 3 of 3 devices asked, ε 1 (queries have spent ε 1 in all)`);
    submit(noisy);
    expect(spent).toEqual([0, 0, 1, 1]);
  });

  it('refuses the running query when the federation is edited, and the next one starts', () => {
    const { book, driver, events, submit } = setUp();
    const id = submit();
    const next = submit();
    driver.abandon('the federation was edited while it ran', 50);
    expect(book.find(FED, id)).toMatchObject({ status: 'refused', reason: 'the federation was edited while it ran' });
    expect(events.at(-1)).toMatchObject({ kind: 'query-refused' });
    expect(book.find(FED, next)?.status).toBe('queued');
    driver.startNext(60);
    expect(book.find(FED, next)?.status).toBe('running');
  });
});

describe('privacyTargetRefusal', () => {
  const target = { targetEpsilon: 8, onTarget: 'stop' as const };
  it('refuses a query whose ε would pass a target set to stop, naming the spend and what to ask instead', () => {
    expect(privacyTargetRefusal(target, 6.4, 1, 1)).toBe(
      "this query's ε 1 would bring the federation's privacy spend from 7.4 to 8.4, past its target of 8. Ask with a smaller epsilon (at most 0.6), or raise the federation's targetEpsilon",
    );
  });
  it('lets it run within the target, without a target, at a target that only warns, or without noise', () => {
    expect(privacyTargetRefusal(target, 6, 1, 1)).toBeNull();
    expect(privacyTargetRefusal(undefined, 100, 0, 1)).toBeNull();
    expect(privacyTargetRefusal({ targetEpsilon: 8, onTarget: 'warn' }, 8, 0, 1)).toBeNull();
    expect(privacyTargetRefusal(target, 9, 0, undefined)).toBeNull();
  });
});
