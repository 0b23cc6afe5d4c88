/**
 * Rényi-DP accountant for the Poisson-subsampled Gaussian mechanism (Mironov, Talwar, Zhang 2019),
 * the analysis of TensorFlow Privacy / dp_accounting and Opacus: RDP at a grid of orders, summed over
 * rounds, then converted to (epsilon, delta) with the conversion of Canonne, Kamath, Steinke 2020
 * (Proposition 12 of arXiv 2004.00010), which both libraries use.
 */

/** Opacus's default orders: 1.1 .. 10.9 by 0.1, then 12 .. 63. */
export const DEFAULT_ORDERS: readonly number[] = [...Array.from({ length: 99 }, (_, i) => 1 + (i + 1) / 10), ...Array.from({ length: 52 }, (_, i) => 12 + i)];

function logAdd(x: number, y: number): number {
  const a = Math.min(x, y);
  const b = Math.max(x, y);
  return a === -Infinity ? b : Math.log1p(Math.exp(a - b)) + b;
}

/**
 * log(erfc(x)) to about 1e-12 relative, without underflow: the orders' series cancel to a few
 * millionths, so a 1e-7 approximation of erfc is off by whole percents. Below |x| = 3, erf from its
 * all-positive series e^(-x^2) sum 2^n x^(2n+1) / (2n+1)!!; above, erfc from its continued fraction.
 */
export function logErfc(x: number): number {
  const z = Math.abs(x);
  if (z < 3) {
    let term = z;
    let sum = z;
    for (let n = 1; term > sum * 1e-17; n++) {
      term *= (2 * z * z) / (2 * n + 1);
      sum += term;
    }
    const erf = (2 / Math.sqrt(Math.PI)) * Math.exp(-z * z) * sum;
    return Math.log(x >= 0 ? 1 - erf : 1 + erf);
  }
  // erfc(z) = e^(-z^2) / sqrt(pi) / (z + (1/2) / (z + 1 / (z + (3/2) / (z + ...)))), evaluated from the tail.
  let fraction = z;
  for (let k = 60; k >= 1; k--) fraction = z + k / 2 / fraction;
  const logPositive = -z * z - 0.5 * Math.log(Math.PI) - Math.log(fraction);
  return x >= 0 ? logPositive : Math.log(2 - Math.exp(logPositive));
}

function logBinomialInt(n: number, k: number): number {
  let sum = 0;
  for (let i = 1; i <= k; i++) sum += Math.log((n - k + i) / i);
  return sum;
}

function logAInt(q: number, sigma: number, alpha: number): number {
  let logA = -Infinity;
  for (let i = 0; i <= alpha; i++) {
    const logCoef = logBinomialInt(alpha, i) + i * Math.log(q) + (alpha - i) * Math.log1p(-q);
    logA = logAdd(logA, logCoef + (i * i - i) / (2 * sigma * sigma));
  }
  return logA;
}

/**
 * Fractional orders, as dp_accounting computes them (section 3.3 of arXiv 1908.10530): the series'
 * terms are added by magnitude, an upper bound that needs no cancelling subtraction.
 */
function logAFrac(q: number, sigma: number, alpha: number): number {
  let logA0 = -Infinity;
  let logA1 = -Infinity;
  let lastS0 = -Infinity;
  let lastS1 = -Infinity;
  const z0 = sigma * sigma * Math.log(1 / q - 1) + 0.5;
  const log1mq = Math.log1p(-q);
  let coef = 1; // |binom(alpha, i)|, built up term by term
  for (let i = 0; i < 1000; i++) {
    if (i > 0) coef *= Math.abs((alpha - i + 1) / i);
    const logCoef = Math.log(coef);
    const j = alpha - i;
    const logS0 = logCoef + i * Math.log(q) + j * log1mq + (i * i - i) / (2 * sigma * sigma) + Math.log(0.5) + logErfc((i - z0) / (Math.SQRT2 * sigma));
    const logS1 = logCoef + j * Math.log(q) + i * log1mq + (j * j - j) / (2 * sigma * sigma) + Math.log(0.5) + logErfc((z0 - j) / (Math.SQRT2 * sigma));
    logA0 = logAdd(logA0, logS0);
    logA1 = logAdd(logA1, logS1);
    const total = logAdd(logA0, logA1);
    if (logS0 < lastS0 && logS1 < lastS1 && Math.max(logS0, logS1) < total - 30) return total;
    lastS0 = logS0;
    lastS1 = logS1;
  }
  return Infinity; // did not converge: this order is left out of the minimum
}

/** RDP of one step of the Poisson-subsampled Gaussian mechanism at `order`. */
function rdpOneStep(q: number, noiseMultiplier: number, order: number): number {
  if (q === 0) return 0;
  if (noiseMultiplier === 0) return Infinity;
  if (q === 1) return order / (2 * noiseMultiplier * noiseMultiplier);
  if (!Number.isFinite(order)) return Infinity;
  const logA = Number.isInteger(order) ? logAInt(q, noiseMultiplier, order) : logAFrac(q, noiseMultiplier, order);
  return logA / (order - 1);
}

/** RDP after `steps` steps with sampling rate q and noise multiplier z, one value per order. */
export function computeRdp(q: number, noiseMultiplier: number, steps: number, orders: readonly number[] = DEFAULT_ORDERS): number[] {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`sampling rate must be in [0, 1], got ${q}`);
  if (!(noiseMultiplier >= 0)) throw new RangeError(`noise multiplier must be >= 0, got ${noiseMultiplier}`);
  return orders.map((order) => rdpOneStep(q, noiseMultiplier, order) * steps);
}

/** The smallest epsilon over the orders at which (epsilon, delta)-DP follows from the RDP curve. */
export function epsilonFromRdp(orders: readonly number[], rdp: readonly number[], delta: number): { epsilon: number; order: number } {
  if (!(delta > 0 && delta < 1)) throw new RangeError(`delta must be in (0, 1), got ${delta}`);
  let best = { epsilon: Infinity, order: NaN };
  orders.forEach((a, k) => {
    const r = rdp[k]!;
    let epsilon: number;
    if (delta * delta + Math.expm1(-r) > 0) epsilon = 0;
    else if (a > 1.01) epsilon = r + Math.log1p(-1 / a) - Math.log(delta * a) / (a - 1);
    else epsilon = Infinity;
    if (epsilon < best.epsilon) best = { epsilon: Math.max(0, epsilon), order: a };
  });
  return best;
}

/** Epsilon after `steps` rounds of the subsampled Gaussian mechanism at the given delta. */
export function gaussianEpsilon(q: number, noiseMultiplier: number, steps: number, delta: number): number {
  if (steps === 0) return 0;
  return epsilonFromRdp(DEFAULT_ORDERS, computeRdp(q, noiseMultiplier, steps), delta).epsilon;
}
