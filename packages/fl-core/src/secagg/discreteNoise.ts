/**
 * The discrete Gaussian N_Z(0, sigma²): P(x) ∝ exp(-x² / 2sigma²) over the integers, by the rejection sampler of Canonne,
 * Kamath, Steinke 2020 (arXiv 2004.00010, Algorithms 2 and 3). Its Bernoulli(exp(-γ)) trials compare a 53-bit uniform
 * with exp(-γ) in doubles, as TensorFlow Privacy's discrete Gaussian does, rather than exactly with rationals: each
 * probability is off by at most about 2^-53, far below the δ the accountant reports. Integers stay exact up to 2^53.
 */

const TWO_POW_26 = 2 ** 26;
const TWO_POW_27 = 2 ** 27;
const TWO_POW_53 = 2 ** 53;
/** Far above any std a round of 32-bit words uses; keeps |x| = U + t·V exact in doubles. */
const MAX_SIGMA = 2 ** 40;

/**
 * A uniform [0, 1) with 53 bits, from two draws of `random` (which may carry only 32, as secureRandom does): with 32 bits
 * the integer U below t ~ sigma and the tail trials would be coarse for the sigmas of a round (up to 2^32).
 */
function uniform53(random: () => number): number {
  return (Math.floor(random() * TWO_POW_26) * TWO_POW_27 + Math.floor(random() * TWO_POW_27)) / TWO_POW_53;
}

/** An integer uniform in [0, t), exactly: 53-bit draws past the last whole multiple of t are redrawn. */
function uniformBelow(t: number, random: () => number): number {
  const limit = Math.floor(TWO_POW_53 / t) * t;
  for (;;) {
    const k = uniform53(random) * TWO_POW_53;
    if (k < limit) return k % t;
  }
}

function bernoulliExp(gamma: number, random: () => number): boolean {
  return uniform53(random) < Math.exp(-gamma);
}

/** The discrete Laplace with scale t, P(x) ∝ exp(-|x| / t) (Algorithm 2 with s = 1): |x| = U + t·V, U uniform below t, V geometric. */
function discreteLaplace(t: number, random: () => number): number {
  for (;;) {
    const u = uniformBelow(t, random);
    if (!bernoulliExp(u / t, random)) continue;
    let v = 0;
    while (bernoulliExp(1, random)) v++;
    const magnitude = u + t * v;
    const negative = random() < 0.5;
    if (negative && magnitude === 0) continue;
    return negative ? -magnitude : magnitude;
  }
}

/** One draw of N_Z(0, sigma²) (Algorithm 3): a discrete Laplace proposal of scale floor(sigma) + 1, kept with probability exp(-(|y| - sigma²/t)² / 2sigma²). */
export function discreteGaussian(sigma: number, random: () => number): number {
  if (!(sigma >= 0 && sigma <= MAX_SIGMA)) throw new RangeError(`a discrete Gaussian needs 0 <= sigma <= 2^40, got ${sigma}`);
  if (sigma === 0) return 0;
  const t = Math.floor(sigma) + 1;
  const variance = sigma * sigma;
  for (;;) {
    const y = discreteLaplace(t, random);
    const excess = Math.abs(y) - variance / t;
    if (bernoulliExp((excess * excess) / (2 * variance), random)) return y;
  }
}
