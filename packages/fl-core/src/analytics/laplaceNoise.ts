import type { AnswerLayout } from './answerLayout.ts';

/** The chance that any noised number of an answer lies further from the truth than its stated bound. */
export const NOISE_FAILURE_PROBABILITY = 1e-6;

/** The noise a result carries: central DP by the Laplace mechanism, and how far from the truth each of its groups may be. */
export interface NoiseReport {
  mechanism: 'laplace';
  epsilon: number;
  /** Per answer group (`counts`, `sums`, ...): every noised number lies within this of the exact sum, except with `failureProbability`. */
  noiseBound: Record<string, number>;
  failureProbability: number;
}

/** One draw from Laplace(0, scale). */
export function laplace(scale: number, random: () => number): number {
  const u = random() - 0.5;
  // random() may return exactly 0: the log of 0 would make the noise infinite.
  return -scale * Math.sign(u) * Math.log(Math.max(Number.MIN_VALUE, 1 - 2 * Math.abs(u)));
}

/**
 * The summed answers with ε-DP (one device added or removed): epsilon is split evenly between the answer's groups
 * and each group gets Laplace noise of scale (its l1 sensitivity) / (its share of epsilon). A Laplace draw exceeds
 * t = scale x ln(1/β') with probability β', so with β' = β / length no number of the answer exceeds its group's t
 * but with probability β.
 */
export function noisedSum(sum: Float64Array, layout: AnswerLayout, epsilon: number, random: () => number): { values: Float64Array; noise: NoiseReport } {
  const values = sum.slice();
  const noiseBound: Record<string, number> = {};
  const share = epsilon / layout.groups.length;
  const tail = Math.log(layout.length / NOISE_FAILURE_PROBABILITY);
  for (const group of layout.groups) {
    const scale = group.l1 / share;
    for (let i = group.start; i < group.start + group.length; i++) values[i]! += laplace(scale, random);
    noiseBound[group.name] = scale * tail;
  }
  return { values, noise: { mechanism: 'laplace', epsilon, noiseBound, failureProbability: NOISE_FAILURE_PROBABILITY } };
}
