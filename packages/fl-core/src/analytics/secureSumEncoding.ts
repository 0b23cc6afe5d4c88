import type { AnswerLayout } from './answerLayout.ts';

/** Secure aggregation sums words mod 2^32. */
const MODULUS = 2 ** 32;

/** The most one device's word may hold when up to `devices` answers are summed: their sum never wraps. */
export function secureSumLevels(devices: number): number {
  return Math.floor((MODULUS - 1) / Math.max(1, devices));
}

/** A coordinate whose bounds are whole numbers within `levels` travels as itself (counts: exact); any other is scaled onto 0..levels. */
function exact(layout: AnswerLayout, i: number, levels: number, integer: boolean): boolean {
  return integer && layout.high[i]! - layout.low[i]! <= levels;
}

function integerFlags(layout: AnswerLayout): boolean[] {
  const flags = new Array<boolean>(layout.length).fill(false);
  for (const g of layout.groups) flags.fill(g.integer, g.start, g.start + g.length);
  return flags;
}

/**
 * One device's answer as words for a secure sum: each coordinate offset by its lower bound, counts as they are,
 * sums and squares scaled onto 0..levels with stochastic rounding (unbiased), so the decoded sum is exact for
 * counts and within (devices x range / levels) for the rest.
 */
export function encodeForSecureSum(answer: ArrayLike<number>, layout: AnswerLayout, levels: number, random: () => number): Uint32Array {
  const integer = integerFlags(layout);
  const words = new Uint32Array(layout.length);
  for (let i = 0; i < layout.length; i++) {
    const [low, high] = [layout.low[i]!, layout.high[i]!];
    const v = Math.min(high, Math.max(low, answer[i]!));
    words[i] = exact(layout, i, levels, integer[i]!) ? v - low : Math.min(levels, Math.floor(((v - low) / (high - low)) * levels + random()));
  }
  return words;
}

/** The sum of `contributors` answers from the sum of their words (mod 2^32), as AnswerSum would have held it. */
export function decodeSecureSum(words: Uint32Array, layout: AnswerLayout, levels: number, contributors: number): Float64Array {
  const integer = integerFlags(layout);
  const sum = new Float64Array(layout.length);
  for (let i = 0; i < layout.length; i++) {
    const [low, high] = [layout.low[i]!, layout.high[i]!];
    const offset = exact(layout, i, levels, integer[i]!) ? words[i]! : (words[i]! / levels) * (high - low);
    sum[i] = offset + contributors * low;
  }
  return sum;
}
