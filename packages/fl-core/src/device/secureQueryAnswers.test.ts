import { describe, expect, it } from 'vitest';
import { AnalyticsQuery } from '../analytics/query.ts';
import type { QueryAskMessage } from '../analytics/messages.ts';
import { answersQuery, QUERY_SECURE_ROUND_BASE, queryOfSecureRound, secureRoundOfQuery } from '../analytics/secureQueryRounds.ts';
import { secureSumLevels } from '../analytics/secureSumEncoding.ts';
import { SecAggRequestMessage, type SecAggRequestMessage as Request } from '../secagg/messages.ts';
import type { SecAggResult } from '../secagg/params.ts';
import { SecAggServer } from '../secagg/server.ts';
import { maskAnswerWords, SecureQueryAnswers } from './secureQueryAnswers.ts';
import { SecureRoundParticipant } from './secureRoundParticipant.ts';

const FED = 'fed-q';
const ask = (queryId: string, levels = secureSumLevels(3)): QueryAskMessage => ({
  queryId,
  query: AnalyticsQuery.parse({ kind: 'label-histogram', privacy: { minDevices: 2 } }),
  context: { classes: ['a', 'b', 'c'], columns: null, labelColumn: null, maxExamplesPerDevice: 100 },
  deadline: Date.now() + 60_000,
  whatLeaves: '3 numbers: how many of your examples carry each label',
  secureSumLevels: levels,
});

function unwrap<T>(r: SecAggResult<T>): T {
  if (!r.ok) throw new Error(r.reason);
  return r.value;
}

describe('secure query rounds', () => {
  it('number a query’s secure sum apart from any training round, both ways', () => {
    expect(secureRoundOfQuery('q7')).toBe(QUERY_SECURE_ROUND_BASE + 7);
    expect(queryOfSecureRound(secureRoundOfQuery('q123456789012345'))).toBe('q123456789012345');
    expect(queryOfSecureRound(12)).toBeNull();
    expect(answersQuery({ round: secureRoundOfQuery('q1'), deviceId: 'x' })).toBe(true);
    expect(answersQuery({ round: 3 })).toBe(false);
    expect(answersQuery(null)).toBe(false);
    expect(answersQuery('q1')).toBe(false);
  });
});

describe('SecureQueryAnswers', () => {
  it('hands the masked-input stage the answer’s words once computed, and lists it once as left masked', async () => {
    const answers = new SecureQueryAnswers();
    answers.expect(ask('q3'));
    const words = answers.wordsFor(secureRoundOfQuery('q3'), Date.now() + 60_000);
    answers.answer('q3', [4, 0, 2]);
    expect([...(await words)!]).toEqual([4, 0, 2, 1]);
    expect(await answers.sent(secureRoundOfQuery('q3'))).toMatchObject({ queryId: 'q3', kind: 'label-histogram', numbers: [4, 0, 2], masked: true });
    expect(await answers.sent(secureRoundOfQuery('q3'))).toBeNull();
  });

  it('gives no words for a query not asked, withdrawn, or not answered by the deadline', async () => {
    const answers = new SecureQueryAnswers();
    expect(await answers.wordsFor(secureRoundOfQuery('q1'), Date.now() + 1_000)).toBeNull();
    answers.expect(ask('q2'));
    const withdrawn = answers.wordsFor(secureRoundOfQuery('q2'), Date.now() + 60_000);
    answers.withdraw('q2');
    expect(await withdrawn).toBeNull();
    answers.expect(ask('q4'));
    expect(await answers.wordsFor(secureRoundOfQuery('q4'), Date.now() + 20)).toBeNull();
  });

  it('refuses to mask words that do not fit the round', async () => {
    const settings = { deviceCount: 3, neighbours: 3, threshold: 2, vectorLength: 3, clip: 1, maxWeight: 1, levels: 100 };
    const work = { update: new Float32Array(3), weight: 1, settings, masks: [] };
    await expect(maskAnswerWords(Uint32Array.from([1, 2, 101, 1]), work)).rejects.toThrow('at most 100 each');
    await expect(maskAnswerWords(Uint32Array.from([1, 2, 1]), work)).rejects.toThrow('4 numbers');
    expect([...(await maskAnswerWords(Uint32Array.from([1, 2, 3, 1]), work))]).toEqual([1, 2, 3, 1]);
  });
});

describe('a training round and a query’s secure sum at once on the same devices', () => {
  it('keep their keys apart: both unmask to their own sums', async () => {
    const ids = ['device-1', 'device-2', 'device-3'];
    const counts: Record<string, number[]> = { 'device-1': [1, 2, 3], 'device-2': [0, 5, 0], 'device-3': [2, 2, 2] };
    const update = new Float32Array([0.5, -0.25, 0.125, 0]);
    const devices = ids.map((deviceId) => {
      const answers = new SecureQueryAnswers();
      answers.expect(ask('q9'));
      answers.answer('q9', counts[deviceId]!);
      const participant = new SecureRoundParticipant(
        { deviceId, federationId: FED },
        async () => ({ delta: update, examples: 10 }),
        (round, deadline) => answers.wordsFor(round, deadline),
      );
      return { deviceId, participant };
    });
    const training = new SecAggServer({ federationId: FED, round: 2, vectorLength: 4, clip: 1, maxWeight: 10, roundSeed: 'training' });
    const query = new SecAggServer({ federationId: FED, round: secureRoundOfQuery('q9'), vectorLength: 3, clip: 1, maxWeight: 1, roundSeed: 'query' });
    const deadline = Date.now() + 60_000;
    const send = async (stage: Request['stage'], requests: ReadonlyMap<string, unknown>, receive: (id: string, value: unknown) => unknown) => {
      for (const { deviceId, participant } of devices) {
        const msg = SecAggRequestMessage.parse({ stage, deadline, request: requests.get(deviceId) });
        expect(receive(deviceId, unwrap(await participant.answer(msg)))).toEqual({ ok: true });
      }
    };
    const everyone = (round: number) => new Map(ids.map((id) => [id, { federationId: FED, round }]));
    // Stage by stage, the query's messages between the training round's.
    await send('advertise', everyone(2), (id, v) => training.receiveAdvertisement(id, v));
    await send('advertise', everyone(secureRoundOfQuery('q9')), (id, v) => query.receiveAdvertisement(id, v));
    await send('share-keys', unwrap(query.closeAdvertisements()), (id, v) => query.receiveShares(id, v));
    await send('share-keys', unwrap(training.closeAdvertisements()), (id, v) => training.receiveShares(id, v));
    await send('masked-input', unwrap(training.closeShares()), (id, v) => training.receiveMaskedInput(id, v));
    await send('masked-input', unwrap(query.closeShares()), (id, v) => query.receiveMaskedInput(id, v));
    await send('unmask', unwrap(query.closeMaskedInput()), (id, v) => query.receiveUnmaskShares(id, v));
    await send('unmask', unwrap(training.closeMaskedInput()), (id, v) => training.receiveUnmaskShares(id, v));
    const [trained, summed] = [unwrap(await training.finish()), unwrap(await query.finish())];
    expect([...summed.sum]).toEqual([3, 9, 5, 3]);
    trained.mean.forEach((v, i) => expect(v).toBeCloseTo(update[i]!, 6));
  });
});
