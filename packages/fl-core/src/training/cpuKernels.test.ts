import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { cpuDense, subtractStep } from './cpuKernels.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

async function maxDifference(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  return (await tf.tidy(() => a.sub(b).abs().max()).data())[0]!;
}

describe('cpu kernels', () => {
  // 7 rows: one block of four and three single rows; ReLU'd input, so about half the entries are 0.
  it.each([true, false])('cpuDense (data is input: %s) gives matMul + bias and its gradients', async (dataIsInput) => {
    const x = tf.randomNormal([7, 13], 0, 1, 'float32', 1).relu() as tf.Tensor2D;
    const w = tf.randomNormal([13, 6], 0, 1, 'float32', 2) as tf.Tensor2D;
    const b = tf.randomNormal([6], 0, 1, 'float32', 3) as tf.Tensor1D;
    const ours = (xs: tf.Tensor, ws: tf.Tensor, bs: tf.Tensor) => cpuDense(xs as tf.Tensor2D, ws as tf.Tensor2D, bs as tf.Tensor1D, dataIsInput);
    const reference = (xs: tf.Tensor, ws: tf.Tensor, bs: tf.Tensor): tf.Tensor2D => tf.matMul(xs, ws).add(bs);
    expect(await maxDifference(ours(x, w, b), reference(x, w, b))).toBeLessThan(1e-5);
    const loss = (f: typeof ours) => (xs: tf.Tensor, ws: tf.Tensor, bs: tf.Tensor) => f(xs, ws, bs).square().sum();
    // With the data as input, x is no input of the op: its gradient is not computed at all.
    const gradOf = (f: typeof ours) => (dataIsInput ? tf.grads((ws: tf.Tensor, bs: tf.Tensor) => loss(f)(x, ws, bs))([w, b]) : tf.grads(loss(f))([x, w, b]));
    const got = gradOf(ours);
    const want = gradOf(reference);
    expect(got).toHaveLength(want.length);
    for (let i = 0; i < want.length; i++) expect(await maxDifference(got[i]!, want[i]!)).toBeLessThan(1e-4);
    const noBias = cpuDense(x, w, null, dataIsInput);
    expect(await maxDifference(noBias, tf.matMul(x, w))).toBeLessThan(1e-5);
    tf.dispose([x, w, b, noBias, ...got, ...want]);
  });

  it('subtractStep is a - b', async () => {
    const [a, b] = [tf.randomNormal([5, 3], 0, 1, 'float32', 4), tf.randomNormal([5, 3], 0, 1, 'float32', 5)];
    expect(await maxDifference(subtractStep(a, b), a.sub(b))).toBe(0);
  });
});
