import { AnalyticsQuery, secureAnswerWords, secureRoundOfQuery, answerLayout, type QueryContext, type QueryResult } from '@flock/fl-core/analytics';
import { SecureQueryAnswers, SecureRoundParticipant } from '@flock/fl-core/device';
import {
  SecAggMaskedInput,
  SecAggRequestMessage,
  SecAggServer,
  type SecAggRequestMessage as Request,
  type SecureAggregationConfig,
} from '@flock/fl-core/secagg';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { QueryDriver } from '../federations/queryDriver.ts';
import { QueryBook } from './queryBook.ts';
import { withoutRedo } from './secureQueryRun.ts';

const FED = 'fed-secure-queries';
const CONTEXT: QueryContext = { classes: ['a', 'b', 'c'], columns: null, labelColumn: null, maxExamplesPerDevice: 100 };
const histogram = (minDevices = 2) => AnalyticsQuery.parse({ kind: 'label-histogram', privacy: { minDevices } });
/** Each device's label histogram (its answer), different per device. */
const ANSWERS: Record<string, number[]> = { 'device-1': [3, 0, 7], 'device-2': [1, 1, 1], 'device-3': [0, 9, 2], 'device-4': [5, 5, 0], 'device-5': [2, 0, 4] };
const DEVICES = Object.keys(ANSWERS);

/** Hooks a label histogram never calls (spread, so the fake needs no change when the hooks gain one). */
const UNUSED_HOOKS = { model: () => ({ round: 0, model: 'mnist-mlp' as const, weights: new Uint8Array() }) };

type LabelHistogram = Extract<QueryResult, { kind: 'label-histogram' }>;

/**
 * A QueryDriver on a federation that aggregates securely, with the runtime faked and each device played by the real
 * device-side pieces (SecureQueryAnswers and SecureRoundParticipant): requests queue up and `pump` delivers them.
 * Devices in `silentAt` stop answering at that stage (gone after sharing their keys, say).
 */
function setUp(secure: SecureAggregationConfig, online = DEVICES) {
  const book = new QueryBook();
  const events: { level: string; kind: string; message: string }[] = [];
  const requests: { deviceId: string; msg: Request }[] = [];
  const work: Promise<unknown>[] = [];
  const devices = new Map(
    online.map((id) => {
      const answers = new SecureQueryAnswers();
      const participant = new SecureRoundParticipant(
        { deviceId: id, federationId: FED },
        async () => null,
        (round, deadline) => answers.wordsFor(round, deadline),
      );
      return [id, { answers, participant }];
    }),
  );
  const driver = new QueryDriver(FED, book, {
    ...UNUSED_HOOKS,
    ask: (deviceIds, msg) => {
      for (const id of deviceIds) {
        devices.get(id)!.answers.expect(msg);
        devices.get(id)!.answers.answer(msg.queryId, ANSWERS[id]!);
      }
    },
    record: (level, kind, message) => events.push({ level, kind, message }),
    online: () => online,
    context: () => CONTEXT,
    refusal: () => null,
    changed: () => {},
    secureAggregation: () => secure,
    askSecure: (deviceId, msg) => requests.push({ deviceId, msg }),
    track: (w) => work.push(w),
  });
  const pump = async (silentAt: { stage: string; devices: string[] } = { stage: '', devices: [] }) => {
    while (requests.length > 0 || work.length > 0) {
      const next = requests.shift();
      if (!next) {
        await work.shift();
        continue;
      }
      const msg = SecAggRequestMessage.parse(next.msg);
      if (msg.stage === silentAt.stage && silentAt.devices.includes(next.deviceId)) continue;
      expect(msg.request.round).toBeGreaterThanOrEqual(secureRoundOfQuery('q0'));
      const answer = await devices.get(next.deviceId)!.participant.answer(msg);
      if (!answer.ok) throw new Error(answer.reason);
      expect(await driver.secureAnswer(next.deviceId, { stage: msg.stage, answer: answer.value })).toEqual({ ok: true });
    }
  };
  const submit = () => {
    const submitted = driver.submit(histogram(), CONTEXT, Date.now());
    if (!submitted.ok) throw new Error(submitted.reason);
    return submitted.record.id;
  };
  return { book, driver, events, pump, submit };
}

const sumOf = (ids: string[]) => ids.map((id) => ANSWERS[id]!).reduce((sum, a) => sum.map((n, i) => n + a[i]!));

/** Every masked vector the coordinator's secure sums take, as words. */
function watchMaskedInputs(): Uint32Array[] {
  const taken: Uint32Array[] = [];
  const original = SecAggServer.prototype.receiveMaskedInput;
  vi.spyOn(SecAggServer.prototype, 'receiveMaskedInput').mockImplementation(function (this: SecAggServer, deviceId, payload) {
    const parsed = SecAggMaskedInput.safeParse(payload);
    if (parsed.success) taken.push(new Uint32Array(new Uint8Array(parsed.data.masked).buffer));
    return original.call(this, deviceId, payload);
  });
  return taken;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('a query on a federation that aggregates securely', () => {
  it('sums the devices’ answers through the SecAgg+ stages: the result is the exact sum, and no vector the coordinator took is one answer', async () => {
    const taken = watchMaskedInputs();
    const { book, events, pump, submit } = setUp({ enabled: true });
    const id = submit();
    await pump();
    const record = book.find(FED, id)!;
    expect(record).toMatchObject({ status: 'done', asked: 5, answered: 5 });
    expect((record.result as LabelHistogram).counts).toEqual(sumOf(DEVICES));
    expect(events.filter((e) => e.kind === 'query-done').map((e) => e.message)).toEqual([
      `query ${id} (label-histogram) answered by 5 of 5 devices asked as a secure sum, without noise`,
    ]);
    expect(taken).toHaveLength(5);
    const plain = DEVICES.map((d) => secureAnswerWords(ANSWERS[d]!, answerLayout(histogram(), CONTEXT), 1, () => 0));
    for (const words of taken) {
      expect(plain.some((p) => p.every((w, i) => w === words[i]))).toBe(false);
      // Counts of at most 10 and a weight of 1, masked: nearly every word is far above them.
      expect(words.filter((w) => w > 1_000).length).toBeGreaterThanOrEqual(words.length - 1);
    }
  });

  it('a device gone after sharing its keys: the sum of the others', async () => {
    const { book, driver, pump, submit } = setUp({ enabled: true });
    const id = submit();
    await pump({ stage: 'masked-input', devices: ['device-3'] });
    driver.deviceOffline('device-3', Date.now());
    await pump();
    const record = book.find(FED, id)!;
    expect(record).toMatchObject({ status: 'done', asked: 5, answered: 4 });
    expect((record.result as LabelHistogram).counts).toEqual(sumOf(['device-1', 'device-2', 'device-4', 'device-5']));
  });

  it('fewer devices than the threshold sent their masked answers: refused with the reason, nothing reported', async () => {
    const { book, driver, pump, submit } = setUp({ enabled: true, neighbours: 5, threshold: 4 });
    const id = submit();
    await pump({ stage: 'masked-input', devices: ['device-2', 'device-4'] });
    driver.deviceOffline('device-2', Date.now());
    driver.deviceOffline('device-4', Date.now());
    await pump();
    expect(book.find(FED, id)).toMatchObject({
      status: 'refused',
      result: null,
      reason:
        'its secure sum stopped at the masked-input stage: only 3 devices sent masked updates and secure aggregation needs at least 4, so no sum is published. Ask again when more devices are online.',
    });
  });

  it('fewer devices online than secure aggregation needs: refused before anyone is asked', async () => {
    const { book, submit } = setUp({ enabled: true, neighbours: 5, threshold: 4 }, ['device-1', 'device-2', 'device-3']);
    const id = submit();
    expect(book.find(FED, id)).toMatchObject({
      status: 'refused',
      asked: 0,
      reason: 'its answers could not be summed securely: secure aggregation needs at least 4 devices in the round and 3 took part.',
    });
  });

  it('refuses an answer in the clear, and a secure answer when no query is summed', async () => {
    const { driver, pump, submit } = setUp({ enabled: true });
    expect(await driver.secureAnswer('device-1', { stage: 'advertise', answer: { round: secureRoundOfQuery('q1') } })).toMatchObject({
      ok: false,
      reason: 'no query of this federation is being summed securely now, so the answer was ignored',
    });
    const id = submit();
    expect(driver.answer('device-1', { queryId: id, answer: [1, 2, 3] }, Date.now())).toEqual({
      ok: false,
      reason: `query ${id} is answered as a secure sum on this federation, so an answer in the clear was not counted`,
    });
    await pump();
  });

  it('words SecAgg’s reasons for a query, which is not redone', () => {
    expect(withoutRedo('Only 1 devices shared their keys and secure aggregation needs at least 2, so no sum is published; the round is redone.')).toBe(
      'only 1 devices shared their keys and secure aggregation needs at least 2, so no sum is published.',
    );
    expect(withoutRedo('The devices split into groups; the round is redone.')).toBe('the devices split into groups.');
  });
});
