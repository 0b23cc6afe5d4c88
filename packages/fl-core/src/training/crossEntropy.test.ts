import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { meanSoftmaxCrossEntropy } from './crossEntropy.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('meanSoftmaxCrossEntropy', () => {
  it("gives tfjs's softmax cross-entropy and its gradient, in fewer kernels", async () => {
    const ys = tf.oneHot(tf.tensor1d([3, 0, 9, 3, 7], 'int32'), 10).toFloat();
    const logits = tf.randomNormal([5, 10], 0, 3, 'float32', 2);
    const ours = tf.valueAndGrad((l: tf.Tensor) => meanSoftmaxCrossEntropy(ys, l).mul(0.1));
    const reference = tf.valueAndGrad((l: tf.Tensor) => tf.losses.softmaxCrossEntropy(ys, l).mul(0.1));
    const [got, want] = [ours(logits), reference(logits)];
    expect((await got.value.data())[0]).toBeCloseTo((await want.value.data())[0]!, 5);
    const gradDifference = await tf.tidy(() => got.grad.sub(want.grad).abs().max()).data();
    expect(gradDifference[0]).toBeLessThan(1e-6);
    const kernels = async (f: typeof ours) => (await tf.profile(() => tf.dispose(Object.values(f(logits))))).kernels.length;
    expect(await kernels(ours)).toBeLessThan(await kernels(reference));
    tf.dispose([ys, logits, got.value, got.grad, want.value, want.grad]);
  });
});
