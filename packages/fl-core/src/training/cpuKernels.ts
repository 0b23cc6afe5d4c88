import * as tf from '@tensorflow/tfjs';
import { customDense } from './customDense.ts';

/** The slice of tfjs's cpu backend a kernel needs: the values behind a tensor, and a new output. */
interface CpuBackend {
  data: { get(dataId: object): { values: unknown } };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): tf.TensorInfo;
}

const MATMUL = 'FlockCpuMatMul';
const SUBTRACT = 'FlockCpuSubtract';

type Layout = 'nn' | 'tn' | 'nt';

/**
 * Kernels of Flock's own, under names tfjs-layers never calls, so `fit` keeps tfjs's kernels.
 * tfjs's cpu BatchMatMul is a generic blocked loop over three strides and its Sub broadcasts every
 * element through a closure; these are the tight loops for the three 2D layouts a dense layer's
 * step needs, and they skip zero rows' work: MNIST pixels are mostly 0 and ReLU outputs half 0.
 */
function register(): void {
  if (tf.getKernel(MATMUL, 'cpu')) return;
  tf.registerKernel({
    kernelName: MATMUL,
    backendName: 'cpu',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const cpu = backend as unknown as CpuBackend;
      const { a, b, bias } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo; bias?: tf.TensorInfo };
      const values = (t: tf.TensorInfo) => cpu.data.get(t.dataId).values as Float32Array;
      const layout = (attrs as unknown as { layout: Layout }).layout;
      const [rows, inner, cols] = dims(layout, a.shape, b.shape);
      const out = new Float32Array(rows * cols);
      if (bias) for (let i = 0; i < rows; i++) out.set(values(bias), i * cols);
      multiply(layout, values(a), values(b), out, rows, inner, cols);
      return cpu.makeTensorInfo([rows, cols], 'float32', out);
    },
  });
  tf.registerKernel({
    kernelName: SUBTRACT,
    backendName: 'cpu',
    kernelFunc: ({ inputs, backend }) => {
      const cpu = backend as unknown as CpuBackend;
      const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const [x, y] = [cpu.data.get(a.dataId).values as Float32Array, cpu.data.get(b.dataId).values as Float32Array];
      const out = new Float32Array(x.length);
      for (let i = 0; i < out.length; i++) out[i] = x[i]! - y[i]!;
      return cpu.makeTensorInfo([...a.shape], 'float32', out);
    },
  });
}

/** [rows, inner, cols] of the product for a layout: nn a·b, tn aᵀ·b, nt a·bᵀ. */
function dims(layout: Layout, [a0, a1]: number[], [b0, b1]: number[]): [number, number, number] {
  switch (layout) {
    case 'nn':
      return [a0!, a1!, b1!];
    case 'tn':
      return [a1!, a0!, b1!];
    case 'nt':
      return [a0!, a1!, b0!];
    default: {
      const never: never = layout;
      throw new Error(`unknown layout ${String(never)}`);
    }
  }
}

function multiply(layout: Layout, a: Float32Array, b: Float32Array, out: Float32Array, rows: number, inner: number, cols: number): void {
  switch (layout) {
    case 'nn':
      return rowsTimesMatrix(a, b, out, rows, inner, cols);
    case 'tn':
      return columnsTimesMatrix(a, b, out, rows, inner, cols);
    case 'nt':
      return rowDots(a, b, out, rows, inner, cols);
    default: {
      const never: never = layout;
      throw new Error(`unknown layout ${String(never)}`);
    }
  }
}

/**
 * out[i, :] += Σk a[i, k] b[k, :], four rows of `a` at a time: each row of `b` is read once per
 * four output rows (twice as fast as one at a time), and a k where all four are 0 is skipped.
 */
function rowsTimesMatrix(a: Float32Array, b: Float32Array, out: Float32Array, rows: number, inner: number, cols: number): void {
  let i = 0;
  for (; i + 4 <= rows; i += 4) {
    const [a0, o0] = [i * inner, i * cols];
    for (let k = 0; k < inner; k++) {
      const [s0, s1, s2, s3] = [a[a0 + k]!, a[a0 + inner + k]!, a[a0 + 2 * inner + k]!, a[a0 + 3 * inner + k]!];
      if (s0 === 0 && s1 === 0 && s2 === 0 && s3 === 0) continue;
      for (let j = 0, bk = k * cols; j < cols; j++) {
        const v = b[bk + j]!;
        const o = o0 + j;
        out[o] = out[o]! + s0 * v;
        out[o + cols] = out[o + cols]! + s1 * v;
        out[o + 2 * cols] = out[o + 2 * cols]! + s2 * v;
        out[o + 3 * cols] = out[o + 3 * cols]! + s3 * v;
      }
    }
  }
  for (; i < rows; i++)
    for (let k = 0; k < inner; k++) {
      const s = a[i * inner + k]!;
      if (s === 0) continue;
      for (let j = 0, bk = k * cols, o = i * cols; j < cols; j++) out[o + j] = out[o + j]! + s * b[bk + j]!;
    }
}

/** out[k, :] += Σi a[i, k] b[i, :] (aᵀ·b, a: [inner, rows]), four i at a time: one store per four products. */
function columnsTimesMatrix(a: Float32Array, b: Float32Array, out: Float32Array, rows: number, inner: number, cols: number): void {
  let i = 0;
  for (; i + 4 <= inner; i += 4) {
    const [a0, b0] = [i * rows, i * cols];
    for (let k = 0; k < rows; k++) {
      const [s0, s1, s2, s3] = [a[a0 + k]!, a[a0 + rows + k]!, a[a0 + 2 * rows + k]!, a[a0 + 3 * rows + k]!];
      if (s0 === 0 && s1 === 0 && s2 === 0 && s3 === 0) continue;
      for (let j = 0, o = k * cols; j < cols; j++) {
        const bj = b0 + j;
        out[o + j] = out[o + j]! + s0 * b[bj]! + s1 * b[bj + cols]! + s2 * b[bj + 2 * cols]! + s3 * b[bj + 3 * cols]!;
      }
    }
  }
  for (; i < inner; i++)
    for (let k = 0; k < rows; k++) {
      const s = a[i * rows + k]!;
      if (s === 0) continue;
      for (let j = 0, bi = i * cols, o = k * cols; j < cols; j++) out[o + j] = out[o + j]! + s * b[bi + j]!;
    }
}

/** out[i, k] = a[i, :] · b[k, :] (a·bᵀ): both rows contiguous. */
function rowDots(a: Float32Array, b: Float32Array, out: Float32Array, rows: number, inner: number, cols: number): void {
  for (let i = 0; i < rows; i++)
    for (let k = 0; k < cols; k++) {
      let sum = 0;
      for (let j = 0, ai = i * inner, bk = k * inner; j < inner; j++) sum += a[ai + j]! * b[bk + j]!;
      out[i * cols + k] = sum;
    }
}

function matMul(a: tf.Tensor2D, b: tf.Tensor2D, layout: Layout, bias?: tf.Tensor1D): tf.Tensor2D {
  register();
  const inputs: tf.NamedTensorMap = bias ? { a, b, bias } : { a, b };
  return tf.engine().runKernel(MATMUL, inputs, { layout } as unknown as tf.NamedAttrMap) as tf.Tensor2D;
}

/** `weights - step` for same-shaped float32 tensors (an SGD step); on cpu in one pass, no broadcasting. */
export function subtractStep<T extends tf.Tensor>(weights: T, step: T): T {
  if (tf.getBackend() !== 'cpu' || weights.dtype !== 'float32') return weights.sub(step);
  register();
  return tf.engine().runKernel(SUBTRACT, { a: weights, b: step }) as T;
}

/** x·W + b on cpu with Flock's kernels (`customDense`: no gradient for the data). */
export function cpuDense(x: tf.Tensor2D, kernel: tf.Tensor2D, bias: tf.Tensor1D | null, dataIsInput: boolean): tf.Tensor2D {
  return customDense(x, kernel, bias, dataIsInput, {
    forward: (input, w, b) => matMul(input, w, 'nn', b),
    beforeActivation: (dy) => dy,
    inputGradient: (g, w) => matMul(g, w, 'nt'),
    weightGradient: (input, g) => matMul(input, g, 'tn'),
  });
}
