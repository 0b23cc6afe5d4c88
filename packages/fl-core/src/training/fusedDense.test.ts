import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { fusedDense } from './fusedDense.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('fusedDense', () => {
  it.each([
    ['relu', true],
    ['relu', false],
    ['linear', true],
  ] as const)('%s (data is input: %s): gives the layer and its gradients', async (activation, dataIsInput) => {
    const x = tf.randomNormal([6, 9], 0, 1, 'float32', 1) as tf.Tensor2D;
    const w = tf.randomNormal([9, 4], 0, 1, 'float32', 2) as tf.Tensor2D;
    const b = tf.randomNormal([4], 0, 1, 'float32', 3) as tf.Tensor1D;
    const act = (y: tf.Tensor) => (activation === 'relu' ? tf.relu(y) : y);
    type Layer = (xs: tf.Tensor2D, ws: tf.Tensor2D, bs: tf.Tensor1D) => tf.Tensor;
    const loss = (f: Layer) => (xs: tf.Tensor, ws: tf.Tensor, bs: tf.Tensor) =>
      f(xs as tf.Tensor2D, ws as tf.Tensor2D, bs as tf.Tensor1D)
        .square()
        .sum();
    // With the data as input, x is no input of the op: its gradient is not computed at all.
    const gradOf = (f: Layer) => (dataIsInput ? tf.grads((ws: tf.Tensor, bs: tf.Tensor) => loss(f)(x, ws, bs))([w, b]) : tf.grads(loss(f))([x, w, b]));
    const got = gradOf((xs, ws, bs) => fusedDense(xs, ws, bs, activation, dataIsInput));
    const want = gradOf((xs, ws, bs) => act(tf.matMul(xs, ws).add(bs)));
    expect(got).toHaveLength(want.length);
    for (let i = 0; i < want.length; i++) expect((await tf.tidy(() => got[i]!.sub(want[i]!).abs().max()).data())[0]).toBeLessThan(1e-4);
    const noBias = fusedDense(x, w, null, activation, dataIsInput);
    expect(
      (
        await tf
          .tidy(() =>
            noBias
              .sub(act(tf.matMul(x, w)))
              .abs()
              .max(),
          )
          .data()
      )[0],
    ).toBeLessThan(1e-5);
    tf.dispose([x, w, b, noBias, ...got, ...want]);
  });
});
