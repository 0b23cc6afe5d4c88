import * as tf from '@tensorflow/tfjs';

/** The activations tfjs fuses into a matMul that a Dense layer may carry. */
export type FusableActivation = 'relu' | 'linear';

/**
 * A Dense layer as one fused matMul + bias + activation kernel (one GPU dispatch instead of three:
 * tfjs's fused.matMul falls back to three ops whenever gradients are recorded), with its gradient
 * written out: g = dy ⊙ relu'(y), dW = xᵀ·g, db = Σ g, and dx = g·Wᵀ only when the input is not the
 * training data (`dataIsInput`), which needs none.
 */
export function fusedDense(
  x: tf.Tensor2D,
  kernel: tf.Tensor2D,
  bias: tf.Tensor1D | null,
  activation: FusableActivation,
  dataIsInput: boolean,
): tf.Tensor2D {
  const weights = bias ? [kernel, bias] : [kernel];
  const inputs = dataIsInput ? weights : [x, ...weights];
  // customGrad passes the inputs, then `save` (what the gradient reads must be saved).
  const op = (...args: unknown[]) => {
    const given = args.slice(0, inputs.length) as tf.Tensor[];
    const save = args[inputs.length] as tf.GradSaveFunc;
    const input = dataIsInput ? x : (given.shift() as tf.Tensor2D);
    const [w, b] = given as [tf.Tensor2D, tf.Tensor1D | undefined];
    const [rows, cols] = [input.shape[0], w.shape[1]];
    const kernelInputs: tf.NamedTensorMap = { a: input.reshape([1, ...input.shape]), b: w.reshape([1, ...w.shape]), ...(b ? { bias: b } : {}) };
    const attrs = { transposeA: false, transposeB: false, activation, leakyreluAlpha: 0 };
    const y = (tf.engine().runKernel('_FusedMatMul', kernelInputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor).reshape([rows, cols]) as tf.Tensor2D;
    save([input, w, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor2D, [xs, ws, ys]: [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D]) => {
        const g = activation === 'relu' ? tf.mul(dy, tf.step(ys)) : dy;
        return [...(dataIsInput ? [] : [tf.matMul(g, ws, false, true)]), tf.matMul(xs, g, true, false), ...(b ? [tf.sum(g, 0)] : [])];
      },
    };
  };
  return tf.customGrad(op as unknown as Parameters<typeof tf.customGrad>[0])(...inputs) as tf.Tensor2D;
}
