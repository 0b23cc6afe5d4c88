/// <reference types="@webgpu/types" />
import { compileConv2d, compileMaxPool, convScratchValues } from './convOps.ts';
import { compileDispatch } from './gpuProgram.ts';
import {
  accumulators,
  activationWgsl,
  columnsPerThread,
  inBatch,
  indices,
  inputBindings,
  inputDerivative,
  products,
  ROWS,
  type CompiledOp,
  type OpBuffers,
} from './kernelParts.ts';
import type { Activation, DenseOp, DropoutOp, ImageShape, LayerOp } from './layerPlan.ts';

/**
 * Dense: forward with bias and activation fused; backward as weight-and-bias gradients and input
 * gradient. Each thread computes a tile (runs of rows, columns or inputs), so that every value it
 * reads serves several products.
 */
function compileDense(device: GPUDevice, uniform: GPUBuffer, op: DenseOp, index: number, b: OpBuffers, batch: number): CompiledOp {
  const { inputs: K, units: N, kernelOffset: W, biasOffset } = op;
  const input = inputBindings(b.input, K);
  const label = `dense${index}`;
  const rows = indices(ROWS);
  const groups = Math.ceil(batch / ROWS);
  const cols = indices(columnsPerThread(N));
  const Q = N / cols.length;
  const ins = indices(columnsPerThread(K));
  const P = K / ins.length;

  // A thread per (run of rows, run of columns).
  const forward = compileDispatch(
    device,
    uniform,
    `${label} forward`,
    [{ name: 'params', buffer: b.params, access: 'read' }, ...input.bindings, { name: 'y', buffer: b.output, access: 'read_write' }],
    {
      prelude: input.prelude,
      threads: groups * Q,
      body: `
  let r0 = (i / ${Q}u) * ${ROWS}u;
  if (r0 >= u.rows) { return; }
  let n = (i % ${Q}u) * ${cols.length}u;
  ${rows.map((j) => `let base${j} = rowBase(min(r0 + ${j}u, u.rows - 1u));`).join(' ')}
  ${accumulators(rows, cols, (c) => (biasOffset === null ? '0.0' : `params[${biasOffset + c}u + n]`), '  ')}
  for (var k = 0u; k < ${K}u; k++) {
    let w = ${W}u + k * ${N}u + n;
    ${cols.map((c) => `let w${c} = params[w + ${c}u];`).join(' ')}
    ${rows.map((j) => `let v${j} = x[base${j} + k];`).join(' ')}
    ${products(
      rows,
      cols,
      (j) => `v${j}`,
      (c) => `w${c}`,
      '    ',
    )}
  }
  ${inBatch(rows, (j) => cols.map((c) => `y[(r0 + ${j}u) * ${N}u + n + ${c}u] = ${activationWgsl(op.activation, `acc${j}${c}`)};`).join(' '), '  ')}`,
    },
  );

  // A thread per (run of inputs, run of columns), summing over the batch; then one per bias.
  const biasThreads = biasOffset === null ? 0 : N;
  const weightGrads = compileDispatch(
    device,
    uniform,
    `${label} weight gradients`,
    [...input.bindings, { name: 'dy', buffer: b.outputGrad, access: 'read' }, { name: 'grads', buffer: b.grads, access: 'read_write' }],
    {
      prelude: input.prelude,
      threads: P * Q + biasThreads,
      body: `
  if (i < ${P * Q}u) {
    let k = (i / ${Q}u) * ${ins.length}u;
    let n = (i % ${Q}u) * ${cols.length}u;
    ${accumulators(ins, cols, () => '0.0', '    ')}
    for (var r = 0u; r < u.rows; r++) {
      let base = rowBase(r) + k;
      let d = r * ${N}u + n;
      ${ins.map((a) => `let v${a} = x[base + ${a}u];`).join(' ')}
      ${cols.map((c) => `let g${c} = dy[d + ${c}u];`).join(' ')}
      ${products(
        ins,
        cols,
        (a) => `v${a}`,
        (c) => `g${c}`,
        '      ',
      )}
    }
    let g = ${W}u + k * ${N}u + n;
    ${ins.map((a) => cols.map((c) => `grads[g + ${a * N + c}u] = acc${a}${c};`).join(' ')).join('\n    ')}
  } else if (i < ${P * Q + biasThreads}u) {
    let n = i - ${P * Q}u;
    var acc = 0.0;
    for (var r = 0u; r < u.rows; r++) { acc += dy[r * ${N}u + n]; }
    grads[${biasOffset ?? 0}u + n] = acc;
  }`,
    },
  );
  if (!b.inputGrad || b.input.kind === 'data') return { forward: [forward], backward: [weightGrads] };

  // A thread per (run of rows, run of inputs).
  const inputGrad = compileDispatch(
    device,
    uniform,
    `${label} input gradient`,
    [
      { name: 'params', buffer: b.params, access: 'read' },
      { name: 'x', buffer: b.input.x, access: 'read' },
      { name: 'dy', buffer: b.outputGrad, access: 'read' },
      { name: 'dx', buffer: b.inputGrad, access: 'read_write' },
    ],
    {
      threads: groups * P,
      body: `
  let r0 = (i / ${P}u) * ${ROWS}u;
  if (r0 >= u.rows) { return; }
  let k = (i % ${P}u) * ${ins.length}u;
  ${rows.map((j) => `let d${j} = min(r0 + ${j}u, u.rows - 1u) * ${N}u;`).join(' ')}
  ${accumulators(rows, ins, () => '0.0', '  ')}
  for (var n = 0u; n < ${N}u; n++) {
    let w = ${W}u + k * ${N}u + n;
    ${ins.map((a) => `let w${a} = params[w + ${a * N}u];`).join(' ')}
    ${rows.map((j) => `let g${j} = dy[d${j} + n];`).join(' ')}
    ${products(
      rows,
      ins,
      (j) => `g${j}`,
      (a) => `w${a}`,
      '    ',
    )}
  }
  ${inBatch(rows, (j) => ins.map((a) => `let at${a} = (r0 + ${j}u) * ${K}u + k + ${a}u; dx[at${a}] = acc${j}${a} * ${inputDerivative(b.input, `at${a}`)};`).join(' '), '  ')}`,
    },
  );
  return { forward: [forward], backward: [weightGrads, inputGrad] };
}

/** Inverted dropout; the mask is a hash of (seed, step, op, position), drawn again in the backward pass instead of stored. */
function compileDropout(device: GPUDevice, uniform: GPUBuffer, op: DropoutOp, index: number, b: OpBuffers, batch: number): CompiledOp {
  const F = op.width;
  const keep = `fn keep(i: u32) -> f32 {
  var h = i * 747796405u + u.step * 2891336453u + u.seed + ${(index * 0x9e3779b9) >>> 0}u;
  h = ((h >> ((h >> 28u) + 4u)) ^ h) * 277803737u;
  h = (h >> 22u) ^ h;
  return select(0.0, ${1 / (1 - op.rate)}f, f32(h >> 8u) * (1.0 / 16777216.0) >= ${op.rate}f);
}`;
  const input = inputBindings(b.input, F);
  const forward = compileDispatch(device, uniform, `dropout${index} forward`, [...input.bindings, { name: 'y', buffer: b.output, access: 'read_write' }], {
    prelude: `${input.prelude}\n${keep}`,
    threads: batch * F,
    body: `
  if (i >= u.rows * ${F}u) { return; }
  y[i] = x[rowBase(i / ${F}u) + i % ${F}u] * keep(i);`,
  });
  if (!b.inputGrad || b.input.kind === 'data') return { forward: [forward], backward: [] };
  const inputGrad = compileDispatch(
    device,
    uniform,
    `dropout${index} input gradient`,
    [
      { name: 'x', buffer: b.input.x, access: 'read' },
      { name: 'dy', buffer: b.outputGrad, access: 'read' },
      { name: 'dx', buffer: b.inputGrad, access: 'read_write' },
    ],
    {
      prelude: keep,
      threads: batch * F,
      body: `
  if (i >= u.rows * ${F}u) { return; }
  dx[i] = dy[i] * keep(i) * ${inputDerivative(b.input)};`,
    },
  );
  return { forward: [forward], backward: [inputGrad] };
}

/** An op's dispatch builders; a new layer kind adds its case here. */
export function compileOp(device: GPUDevice, uniform: GPUBuffer, op: LayerOp, index: number, buffers: OpBuffers, batch: number): CompiledOp {
  switch (op.kind) {
    case 'dense':
      return compileDense(device, uniform, op, index, buffers, batch);
    case 'dropout':
      return compileDropout(device, uniform, op, index, buffers, batch);
    case 'conv2d':
      return compileConv2d(device, uniform, op, index, buffers, batch);
    case 'maxPool':
      return compileMaxPool(device, uniform, op, index, buffers, batch);
    default: {
      const unknown: never = op;
      throw new Error(`no WGSL kernels for layer op ${JSON.stringify(unknown)}`);
    }
  }
}

const pixels = (shape: ImageShape) => shape.height * shape.width * shape.channels;

/** Values per example an op writes. */
export function outputWidth(op: LayerOp): number {
  switch (op.kind) {
    case 'dense':
      return op.units;
    case 'dropout':
      return op.width;
    case 'conv2d':
    case 'maxPool':
      return pixels(op.output);
  }
}

/** Values an op keeps between its dispatches for `batch` rows: pooling's argmax, a convolution's gradient slices. */
export function scratchValues(op: LayerOp, batch: number): number {
  switch (op.kind) {
    case 'maxPool':
      return batch * pixels(op.output);
    case 'conv2d':
      return convScratchValues(op, batch);
    default:
      return 0;
  }
}

/** The activation an op's output carries (what the next op's input gradient differentiates). */
export function outputActivation(op: LayerOp): Activation {
  return op.kind === 'dense' || op.kind === 'conv2d' ? op.activation : 'linear';
}
