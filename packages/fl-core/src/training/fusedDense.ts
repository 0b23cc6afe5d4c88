import * as tf from '@tensorflow/tfjs';
import { customDense } from './customDense.ts';

/** The activations tfjs fuses into a matMul that a Dense layer may carry. */
export type FusableActivation = 'relu' | 'linear';

/**
 * A Dense layer as one fused matMul + bias + activation kernel (one GPU dispatch instead of three:
 * tfjs's fused.matMul falls back to three ops whenever gradients are recorded), with its gradient
 * written out (`customDense`: none for the data).
 */
export function fusedDense(x: tf.Tensor2D, kernel: tf.Tensor2D, bias: tf.Tensor1D | null, activation: FusableActivation, dataIsInput: boolean): tf.Tensor2D {
  const attrs = { transposeA: false, transposeB: false, activation, leakyreluAlpha: 0 } as unknown as tf.NamedAttrMap;
  return customDense(x, kernel, bias, dataIsInput, {
    forward: (input, w, b) => {
      const inputs: tf.NamedTensorMap = { a: input.reshape([1, ...input.shape]), b: w.reshape([1, ...w.shape]), ...(b ? { bias: b } : {}) };
      return (tf.engine().runKernel('_FusedMatMul', inputs, attrs) as tf.Tensor).reshape([input.shape[0], w.shape[1]]);
    },
    beforeActivation: (dy, y) => (activation === 'relu' ? tf.mul(dy, tf.step(y)) : dy),
    inputGradient: (g, w) => tf.matMul(g, w, false, true),
    weightGradient: (input, g) => tf.matMul(input, g, true, false),
  });
}
