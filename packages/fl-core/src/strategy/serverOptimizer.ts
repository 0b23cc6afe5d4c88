import { WeightedMean } from './aggregations.ts';
import { bufferState, type Strategy } from './strategy.ts';

/** The FedOpt options every adaptive server optimizer takes (Reddi et al. 2021, Algorithm 2). */
export const FED_OPT_PARAMS = [
  { key: 'eta', label: 'server learning rate η', description: 'server step size', default: 0.01, min: 0, max: 10, exclusiveMin: true },
  { key: 'beta1', label: 'β1', description: 'first-moment decay', default: 0.9, min: 0, max: 0.9999 },
  { key: 'beta2', label: 'β2', description: 'second-moment decay (not used by FedAdagrad)', default: 0.99, min: 0, max: 0.9999 },
  { key: 'tau', label: 'τ', description: 'adaptivity: added to sqrt(v)', default: 1e-3, min: 0, max: 10, exclusiveMin: true },
] as const;

export interface FedOptOptions {
  eta: number;
  beta1: number;
  beta2: number;
  tau: number;
}

/** How the second moment v absorbs the squared mean delta: the one line where the three differ. */
export type SecondMoment = (v: number, squared: number, beta2: number) => number;

/**
 * FedOpt: the round's weighted mean delta is the pseudo-gradient; m = beta1 m + (1 - beta1) delta,
 * v = secondMoment(v, delta^2), w = w + eta m / (sqrt(v) + tau). The client learning rate eta_l is
 * the federation's training learning rate. No bias correction, as in the paper; m and v start at 0
 * and are saved with every round's model (serverState).
 */
export function serverOptimizer(name: string, secondMoment: SecondMoment, o: FedOptOptions, size: number): Strategy {
  const m = new Float64Array(size);
  const v = new Float64Array(size);
  return {
    name,
    instructions: () => ({}),
    beginRound: () => new WeightedMean(size),
    serverState: bufferState([m, v]),
    step: (global, delta) => {
      const out = new Float32Array(global.length);
      for (let i = 0; i < out.length; i++) {
        const d = delta[i]!;
        m[i] = o.beta1 * m[i]! + (1 - o.beta1) * d;
        v[i] = secondMoment(v[i]!, d * d, o.beta2);
        out[i] = global[i]! + (o.eta * m[i]!) / (Math.sqrt(v[i]!) + o.tau);
      }
      return out;
    },
  };
}
