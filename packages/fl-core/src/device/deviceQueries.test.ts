import { describe, expect, it } from 'vitest';
import type { QueryAskMessage } from '../analytics/messages.ts';
import { contentHash } from '../protocol/chunkedDownloadMessages.ts';
import type { ImageDataset } from '../data/dataset.ts';
import { fakeAdapters, FakeLink, FakeTrainer, FEDERATION, helloReply, roundStart, settle } from '../testing/fakeDevicePlatform.ts';
import type { DeviceSessionView, PredictionJob } from './deviceAdapters.ts';
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

/** A confusion-matrix ask naming the model whose bytes are `weights` (the one round 1 trains from). */
function confusionAsk(queryId: string, weights: Uint8Array): QueryAskMessage {
  const download = { totalBytes: weights.byteLength, hash: contentHash(weights), chunkBytes: 4 };
  return ask(queryId, {
    query: { kind: 'confusion-matrix', privacy: { minDevices: 3 }, deadlineMs: 30_000 },
    model: { round: 1, model: 'mnist-mlp', download },
  });
}

async function queriedDevice(examples: ImageDataset | null = EXAMPLES, predict?: (job: PredictionJob) => Promise<Int32Array>) {
  const link = new FakeLink();
  const adapters = fakeAdapters(link, new FakeTrainer());
  adapters.data.examples = () => Promise.resolve(examples);
  if (predict) adapters.trainer.predict = predict;
  let view: DeviceSessionView | null = null;
  const session = new DeviceSession({ deviceId: 'device-q', federationId: FEDERATION, backend: 'cpu', adapter: null }, adapters, (v) => (view = v));
  session.start();
  link.answerHello = () => helloReply('waiting', 0);
  link.open();
  await settle();
  return { link, view: () => view! };
}

describe('DeviceSession answering queries', () => {
  it("shows the ε the federation's queries spent beside training's guarantee, from the hello reply and from federation:status", async () => {
    const link = new FakeLink();
    let view: DeviceSessionView | null = null;
    new DeviceSession(
      { deviceId: 'device-q', federationId: FEDERATION, backend: 'cpu', adapter: null },
      fakeAdapters(link, new FakeTrainer()),
      (v) => (view = v),
    ).start();
    const guarantee = 'The coordinator clips every update and adds noise to their sum.';
    link.answerHello = () => ({
      ...helloReply('waiting', 0),
      privacyGuarantee: guarantee,
      privacySpend: 'Training has spent no ε yet and queries ε 1: ε 1 of the target 8.',
    });
    link.open();
    await settle();
    expect(view!.federation).toMatchObject({ privacyGuarantee: guarantee, privacySpend: 'Training has spent no ε yet and queries ε 1: ε 1 of the target 8.' });
    const spent = 'Training has spent no ε yet and queries ε 1.5: ε 1.5 of the target 8.';
    link.send('federation:status', { federationId: FEDERATION, status: 'waiting', round: 0, accuracy: null, privacyGuarantee: guarantee, privacySpend: spent });
    await settle();
    expect(view!.federation).toMatchObject({ privacyGuarantee: guarantee, privacySpend: spent });
  });

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

  it("answers a confusion matrix with the counts of the named model's predictions, pulling a model it does not hold and reusing one it holds", async () => {
    const jobs: PredictionJob[] = [];
    // The model "predicts" 0, 1, 1, 2, 0, 2 for labels 0, 0, 1, 2, 2, 2.
    const { link, view } = await queriedDevice(EXAMPLES, (job) => (jobs.push(job), Promise.resolve(Int32Array.from([0, 1, 1, 2, 0, 2]))));
    const pulled = Uint8Array.from({ length: 10 }, (_, i) => 100 + i);
    link.servedModel = pulled;
    link.send('query:ask', confusionAsk('q8', pulled));
    await settle();
    const matrix = [1, 1, 0, 0, 1, 0, 1, 0, 2];
    expect(link.queryAnswers).toEqual([{ queryId: 'q8', answer: matrix }]);
    expect(link.chunkRequests.map((r) => [r.round, r.offset])).toEqual([
      [1, 0],
      [1, 4],
      [1, 8],
    ]);
    expect(jobs[0]).toMatchObject({ model: 'mnist-mlp', weights: pulled, examples: EXAMPLES });
    expect(view().answeredQueries.at(-1)).toMatchObject({ queryId: 'q8', kind: 'confusion-matrix', numbers: matrix });
    // A model that came whole with round:start is not pulled again.
    const held = roundStart(2, Uint8Array.from([9, 8, 7]));
    link.send('round:start', held);
    await settle();
    link.send('query:ask', confusionAsk('q9', held.weights as Uint8Array));
    await settle();
    expect(link.chunkRequests).toHaveLength(3);
    expect(jobs[1]?.weights).toEqual(held.weights);
    expect(link.queryAnswers.at(-1)).toEqual({ queryId: 'q9', answer: matrix });
  });

  it('says why it did not answer a confusion matrix', async () => {
    const { link, view } = await queriedDevice();
    link.send('query:ask', confusionAsk('q10', new Uint8Array([1])));
    await settle();
    expect(view().messages[0]).toBe("query q10 (confusion-matrix) not answered: this kind of device does not compute a model's predictions");
    const predicting = await queriedDevice(EXAMPLES, () => Promise.resolve(new Int32Array(6)));
    predicting.link.send('query:ask', confusionAsk('q11', new Uint8Array([1, 2])));
    predicting.link.send('query:ask', { ...confusionAsk('q12', new Uint8Array([1])), model: undefined });
    await settle();
    expect(predicting.link.queryAnswers).toEqual([]);
    expect(predicting.view().messages.slice(0, 2).reverse()).toEqual([
      'query q12 (confusion-matrix) not answered: the coordinator did not say which model to score: update the coordinator',
      'query q11 (confusion-matrix) not answered: the global model of round 1 could not be downloaded (no model is served)',
    ]);
  });

  it('says why it did not answer, or why the coordinator did not take its answer', async () => {
    const { link, view } = await queriedDevice();
    // A secure sum's answer leaves only masked, in its secure round's stages: never as a query:answer.
    link.send('query:ask', ask('q3', { secureSumLevels: 1000 }));
    link.send('query:ask', ask('q4', { context: { ...CONTEXT, classes: ['a', 'b'] } }));
    await settle();
    expect(link.queryAnswers).toEqual([]);
    expect(view().messages[0]).toBe("query q4 (label-histogram) not answered: this device's examples have 3 classes, the federation 2: import them again");
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
