import * as tf from '@tensorflow/tfjs';

/**
 * FedProx's proximal term mu/2 ||w - w_global||^2 over the trainable variables, anchored at their
 * values on entry (the global model): added to each batch's loss, it pulls local training back
 * towards the global model. Dispose it after training.
 */
export interface ProximalTerm {
  /** The term for the variables' current values (differentiable: call it inside the loss). */
  penalty(): tf.Scalar;
  dispose(): void;
}

export function proximalTerm(variables: readonly tf.Variable[], mu: number): ProximalTerm | null {
  if (!(mu > 0)) return null;
  const anchors = variables.map((v) => tf.keep(v.clone()));
  return {
    penalty: () => tf.tidy(() => tf.addN(variables.map((v, i) => tf.sum(tf.squaredDifference(v, anchors[i]!)))).mul(mu / 2) as tf.Scalar),
    dispose: () => tf.dispose(anchors),
  };
}
