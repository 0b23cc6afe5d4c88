import type { AnswerLayout } from './answerLayout.ts';
import { encodeForSecureSum } from './secureSumEncoding.ts';

/**
 * A query's secure sum runs as a SecAgg+ round numbered from here, far past any training round a federation reaches,
 * so its messages can never be taken for a training round's (nor a training round's for it): the coordinator routes
 * by the number, the device keeps the two rounds' keys apart, and the number enters every key the round derives.
 */
export const QUERY_SECURE_ROUND_BASE = 2 ** 40;

/** The secure round that carries query `queryId`'s answers ("q7" → base + 7). */
export function secureRoundOfQuery(queryId: string): number {
  return QUERY_SECURE_ROUND_BASE + Number(queryId.slice(1));
}

/** The query a secure round carries, or null for a training round. */
export function queryOfSecureRound(round: number): string | null {
  return round >= QUERY_SECURE_ROUND_BASE ? `q${round - QUERY_SECURE_ROUND_BASE}` : null;
}

/** Whether a device's secure-aggregation answer (an untrusted payload) names a query's round; the round's own checks refuse a lie. */
export function answersQuery(answer: unknown): boolean {
  const round = (answer as { round?: unknown } | null)?.round;
  return typeof round === 'number' && queryOfSecureRound(round) !== null;
}

/**
 * The words a device masks for a query: its answer encoded for a secure sum, then a weight word of 1, where a
 * training round carries the update's weight: the unmasked sum's last word counts the devices in it.
 */
export function secureAnswerWords(answer: ArrayLike<number>, layout: AnswerLayout, levels: number, random: () => number): Uint32Array {
  const words = new Uint32Array(layout.length + 1);
  words.set(encodeForSecureSum(answer, layout, levels, random));
  words[layout.length] = 1;
  return words;
}
