import { answerLayout } from '../analytics/answerLayout.ts';
import type { QueryAskMessage } from '../analytics/messages.ts';
import { secureAnswerWords, secureRoundOfQuery } from '../analytics/secureQueryRounds.ts';
import { secureRandom } from '../data/random.ts';
import { applyMasks, type MaskingWork } from '../secagg/masking.ts';
import type { AnsweredQuery } from './deviceAdapters.ts';

/** Secure asks remembered at once (a device answers one query at a time; older ones have long closed). */
const KEPT_ASKS = 20;

interface SecureAsk {
  msg: QueryAskMessage;
  /** The answer's numbers once computed; null when the device does not answer (the session said why). */
  numbers: Promise<number[] | null>;
  settle(numbers: number[] | null): void;
}

/**
 * The queries a device answers as a secure sum: the session computes each answer when the query is asked, and the
 * secure round that carries it (numbered by secureRoundOfQuery) masks its words at the masked-input stage, which may
 * come before the answer is ready. Only the masked words leave; the page lists the numbers once the coordinator took them.
 */
export class SecureQueryAnswers {
  private readonly asks = new Map<number, SecureAsk>();

  /** A secure ask arrived: its secure round waits for the answer (call before any await, so no stage overtakes it). */
  expect(msg: QueryAskMessage): void {
    let settle: (numbers: number[] | null) => void = () => {};
    const numbers = new Promise<number[] | null>((resolve) => (settle = resolve));
    this.asks.set(secureRoundOfQuery(msg.queryId), { msg, numbers, settle });
    if (this.asks.size > KEPT_ASKS) this.asks.delete(this.asks.keys().next().value!);
  }

  answer(queryId: string, numbers: number[]): void {
    this.asks.get(secureRoundOfQuery(queryId))?.settle(numbers);
  }

  /** Not answered (no examples, a data mismatch): the round's masked-input stage stops waiting for it. */
  withdraw(queryId: string): void {
    this.asks.get(secureRoundOfQuery(queryId))?.settle(null);
  }

  /** The words to mask for secure round `round`: the answer encoded at the ask's levels; null if none by `deadline` (epoch ms). */
  async wordsFor(round: number, deadline: number): Promise<Uint32Array | null> {
    const ask = this.asks.get(round);
    if (!ask?.msg.secureSumLevels) return null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), Math.max(0, deadline - Date.now()))));
    const numbers = await Promise.race([ask.numbers, late]).finally(() => clearTimeout(timer));
    if (!numbers) return null;
    const { query, context, secureSumLevels } = ask.msg;
    return secureAnswerWords(numbers, answerLayout(query, context), secureSumLevels, secureRandom());
  }

  /** The coordinator took the masked answer of `round`: what the device page lists (once). */
  async sent(round: number): Promise<AnsweredQuery | null> {
    const ask = this.asks.get(round);
    const numbers = await ask?.numbers;
    if (!ask || !numbers) return null;
    this.asks.delete(round);
    const { queryId, query, whatLeaves } = ask.msg;
    return { queryId, kind: query.kind, at: new Date().toISOString(), whatLeaves, numbers, masked: true };
  }
}

/**
 * A secure round's masker for a query: the answer's words as they are (secureAnswerWords already encoded them), plus
 * the masks. Refuses words that do not fit the round, whose sum could then wrap.
 */
export async function maskAnswerWords(words: Uint32Array, work: MaskingWork): Promise<Uint32Array> {
  const { vectorLength, levels } = work.settings;
  if (words.length !== vectorLength + 1 || words.some((w) => w > levels))
    throw new RangeError(`the answer does not fit the secure sum (${vectorLength + 1} numbers of at most ${levels} each)`);
  const masked = words.slice();
  await applyMasks(
    masked,
    work.masks.map(({ seed, sign }) => ({ seed: async () => seed, sign })),
  );
  return masked;
}
