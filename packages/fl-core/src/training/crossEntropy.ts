import * as tf from '@tensorflow/tfjs';

/**
 * Mean softmax cross-entropy of `logits` [n, classes] against one-hot `ys`, with its gradient
 * written out: (softmax(logits) − ys) · dy / n. tfjs's losses.softmaxCrossEntropy differentiates its
 * weighted mean and its logSumExp op by op; this is fewer kernels per step (each one a GPU dispatch).
 */
export function meanSoftmaxCrossEntropy(ys: tf.Tensor, logits: tf.Tensor): tf.Scalar {
  const scale = 1 / logits.shape[0]!;
  const loss = (l: tf.Tensor, save: tf.GradSaveFunc) => {
    const logProbs = tf.logSoftmax(l);
    // The labels too: the forward pass's scope disposes what the gradient reads unless it is saved.
    save([logProbs, ys]);
    return {
      value: tf.sum(tf.mul(ys, logProbs)).mul(-scale) as tf.Scalar,
      gradFunc: (dy: tf.Scalar, [saved, labels]: tf.Tensor[]) => tf.mul(tf.sub(tf.exp(saved!), labels!), dy.mul(scale)),
    };
  };
  return tf.customGrad(loss as unknown as Parameters<typeof tf.customGrad>[0])(logits) as tf.Scalar;
}
