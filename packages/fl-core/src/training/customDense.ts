import * as tf from '@tensorflow/tfjs';

/** How one backend computes a Dense layer and the parts of its gradient. */
export interface DenseOps {
  /** act(x·W + b) */
  forward(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D | undefined): tf.Tensor2D;
  /** The gradient reaching x·W + b, from the output's gradient and the output. */
  beforeActivation(dy: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor2D;
  /** g·Wᵀ */
  inputGradient(g: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D;
  /** xᵀ·g */
  weightGradient(x: tf.Tensor2D, g: tf.Tensor2D): tf.Tensor2D;
}

/**
 * A Dense layer as one op with its gradient written out: dW = xᵀ·g, db = Σ g, and dx = g·Wᵀ only
 * when the input is not the training data (`dataIsInput`), which needs none.
 */
export function customDense(x: tf.Tensor2D, kernel: tf.Tensor2D, bias: tf.Tensor1D | null, dataIsInput: boolean, ops: DenseOps): tf.Tensor2D {
  const weights = bias ? [kernel, bias] : [kernel];
  const inputs = dataIsInput ? weights : [x, ...weights];
  // customGrad passes the inputs, then `save`: what the gradient reads must be saved, or the
  // forward pass's scope disposes it before the backward pass runs.
  const op = (...args: unknown[]) => {
    const given = args.slice(0, inputs.length) as tf.Tensor[];
    const save = args[inputs.length] as tf.GradSaveFunc;
    const input = dataIsInput ? x : (given.shift() as tf.Tensor2D);
    const [w, b] = given as [tf.Tensor2D, tf.Tensor1D | undefined];
    const y = ops.forward(input, w, b);
    save([input, w, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor2D, [xs, ws, ys]: [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D]) => {
        const g = ops.beforeActivation(dy, ys);
        return [...(dataIsInput ? [] : [ops.inputGradient(g, ws)]), ops.weightGradient(xs, g), ...(b ? [tf.sum(g, 0)] : [])];
      },
    };
  };
  return tf.customGrad(op as unknown as Parameters<typeof tf.customGrad>[0])(...inputs) as tf.Tensor2D;
}
