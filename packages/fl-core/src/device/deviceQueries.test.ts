import { describe, expect, it } from 'vitest';
import type { QueryAskMessage } from '../analytics/messages.ts';
import type { ImageDataset } from '../data/dataset.ts';
import { fakeAdapters, FakeLink, FakeTrainer, FEDERATION, helloReply, settle } from '../testing/fakeDevicePlatform.ts';
import type { DeviceSessionView } from './deviceAdapters.ts';
import { DeviceSession } from './deviceSession.ts';

/** Six examples over three classes: labels 0, 0, 1, 2, 2, 2. */
const EXAMPLES: ImageDataset = {
  count: 6,
  height: 1,
  width: 1,
  channels: 1,
  numClasses: 3,
  labels: Uint8Array.from([0, 0, 1, 2, 2, 2]),
  pixels: new Uint8Array(6),
};
const CONTEXT = { classes: ['a', 'b', 'c'], columns: null, labelColumn: null, maxExamplesPerDevice: 1000 };

function ask(queryId: string, more: Partial<QueryAskMessage> = {}): QueryAskMessage {
  return {
    queryId,
    query: { kind: 'label-histogram', privacy: { minDevices: 3 }, deadlineMs: 30_000 },
    context: CONTEXT,
    deadline: Date.now() + 30_000,
    whatLeaves: '3 numbers: how many of your examples carry each label (a, b, c)',
    ...more,
  };
}

async function queriedDevice(examples: ImageDataset | null = EXAMPLES) {
  const link = new FakeLink();
  const adapters = fakeAdapters(link, new FakeTrainer());
  adapters.data.examples = () => Promise.resolve(examples);
  let view: DeviceSessionView | null = null;
  const session = new DeviceSession({ deviceId: 'device-q', federationId: FEDERATION, backend: 'cpu', adapter: null }, adapters, (v) => (view = v));
  session.start();
  link.answerHello = () => helloReply('waiting', 0);
  link.open();
  await settle();
  return { link, view: () => view! };
}

describe('DeviceSession answering queries', () => {
  it('answers from its examples, lists the exact numbers that left, and sends the same numbers when asked again', async () => {
    const { link, view } = await queriedDevice();
    const msg = ask('q1');
    link.send('query:ask', msg);
    await settle();
    expect(link.queryAnswers).toEqual([{ queryId: 'q1', answer: [2, 1, 3] }]);
    expect(view().answeredQueries).toEqual([
      { queryId: 'q1', kind: 'label-histogram', at: expect.any(String) as string, whatLeaves: msg.whatLeaves, numbers: [2, 1, 3] },
    ]);
    link.send('query:ask', msg);
    await settle();
    expect(link.queryAnswers).toEqual([
      { queryId: 'q1', answer: [2, 1, 3] },
      { queryId: 'q1', answer: [2, 1, 3] },
    ]);
    expect(view().answeredQueries).toHaveLength(1);
  });

  it('says why it did not answer, or why the coordinator did not take its answer', async () => {
    const { link, view } = await queriedDevice();
    link.send('query:ask', ask('q2', { query: { kind: 'confusion-matrix', privacy: { minDevices: 3 }, deadlineMs: 30_000 } }));
    // A secure sum's answer leaves only masked, in its secure round's stages: never as a query:answer.
    link.send('query:ask', ask('q3', { secureSumLevels: 1000 }));
    link.send('query:ask', ask('q4', { context: { ...CONTEXT, classes: ['a', 'b'] } }));
    await settle();
    expect(link.queryAnswers).toEqual([]);
    expect(view().messages.slice(0, 2).reverse()).toEqual([
      "query q2 (confusion-matrix) not answered: this device does not compute the model's predictions for queries",
      "query q4 (label-histogram) not answered: this device's examples have 3 classes, the federation 2: import them again",
    ]);
    link.answerQuery = () => ({ ok: false, reason: 'query q5 is done: the answer was not counted' });
    link.send('query:ask', ask('q5'));
    await settle();
    expect(view().messages[0]).toBe(
      "query q5 (label-histogram): the coordinator did not take this device's answer (query q5 is done: the answer was not counted)",
    );
    expect(view().answeredQueries.map((q) => q.queryId)).toEqual(['q5']);
  });

  it('answers nothing without examples, and ignores a malformed ask', async () => {
    const { link, view } = await queriedDevice(null);
    link.send('query:ask', ask('q6'));
    link.send('query:ask', { queryId: 'q7' });
    await settle();
    expect(link.queryAnswers).toEqual([]);
    // Newest first: the malformed ask is refused at once, q6 once the device looked for its examples.
    expect(view().messages.slice(0, 2)).toEqual([
      'query q6 (label-histogram) not answered: this device holds no examples for the federation yet',
      'ignored a malformed query from the coordinator; reload the page if this repeats',
    ]);
  });
});
