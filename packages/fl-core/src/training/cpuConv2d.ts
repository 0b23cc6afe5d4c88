import * as tf from '@tensorflow/tfjs';

/**
 * conv2d (stride 1, no dilation, NHWC) whose filter gradient is one matMul over image patches.
 * tfjs's cpu Conv2DBackpropFilter walks every element through index arithmetic and was the
 * slowest kernel of a CNN's training step on cpu by two orders of magnitude.
 * With `dataIsInput` the input is training data: its gradient is not computed at all.
 */
export function cpuConv2d(x: tf.Tensor4D, filter: tf.Tensor4D, padding: 'valid' | 'same', dataIsInput: boolean): tf.Tensor4D {
  const forward = (input: tf.Tensor4D, w: tf.Tensor4D) => tf.conv2d(input, w, 1, padding);
  if (dataIsInput) {
    const withFilter = (w: tf.Tensor4D) => ({
      value: forward(x, w),
      gradFunc: (dy: tf.Tensor4D) => [filterGradient(x, dy, filter.shape, padding)],
    });
    return tf.customGrad(withFilter as unknown as Parameters<typeof tf.customGrad>[0])(filter) as tf.Tensor4D;
  }
  const withInputAndFilter = (input: tf.Tensor4D, w: tf.Tensor4D, save: tf.GradSaveFunc) => {
    save([input, w]);
    return {
      value: forward(input, w),
      gradFunc: (dy: tf.Tensor4D, [xs, ws]: [tf.Tensor4D, tf.Tensor4D]) => [
        tf.conv2dTranspose(dy, ws, xs.shape, 1, padding),
        filterGradient(xs, dy, ws.shape, padding),
      ],
    };
  };
  return tf.customGrad(withInputAndFilter as unknown as Parameters<typeof tf.customGrad>[0])(x, filter) as tf.Tensor4D;
}

/** dW[kh, kw, ci, co] = sum over n, oh, ow of x[n, oh + kh, ow + kw, ci] * dy[n, oh, ow, co]. */
function filterGradient(x: tf.Tensor4D, dy: tf.Tensor4D, [kh, kw, ci, co]: [number, number, number, number], padding: 'valid' | 'same'): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, oh, ow] = dy.shape;
    const top = padding === 'same' ? Math.floor((kh - 1) / 2) : 0;
    const left = padding === 'same' ? Math.floor((kw - 1) / 2) : 0;
    const padded =
      padding === 'same'
        ? tf.pad(x, [
            [0, 0],
            [top, kh - 1 - top],
            [left, kw - 1 - left],
            [0, 0],
          ])
        : x;
    const [, ph, pw] = padded.shape;
    const rows = patchRows(n, ph, pw, oh, ow, kh, kw);
    const patches = tf.gather(padded.reshape([n * ph * pw, ci]), rows).reshape([n * oh * ow, kh * kw * ci]);
    return tf.matMul(patches.transpose(), dy.reshape([n * oh * ow, co])).reshape([kh, kw, ci, co]);
  });
}

const rowCache = new Map<string, Int32Array>();

/** For each output pixel and kernel offset, the row of the padded input (as [n*h*w, c]) it reads. */
function patchRows(n: number, h: number, w: number, oh: number, ow: number, kh: number, kw: number): tf.Tensor1D {
  const key = [n, h, w, oh, ow, kh, kw].join();
  let rows = rowCache.get(key);
  if (!rows) {
    rows = new Int32Array(n * oh * ow * kh * kw);
    let r = 0;
    for (let b = 0; b < n; b++)
      for (let y = 0; y < oh; y++)
        for (let x = 0; x < ow; x++) for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) rows[r++] = (b * h + y + i) * w + x + j;
    rowCache.set(key, rows);
  }
  return tf.tensor1d(rows, 'int32');
}
