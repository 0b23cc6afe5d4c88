/// <reference types="@webgpu/types" />
import { compileConv2d, compileMaxPool } from './convOps.ts';
import { compileDispatch } from './gpuProgram.ts';
import { activationWgsl, columnsPerThread, inputBindings, inputDerivative, type CompiledOp, type OpBuffers } from './kernelParts.ts';
import type { Activation, DenseOp, DropoutOp, ImageShape, LayerOp } from './layerPlan.ts';

/** Dense: forward with bias and activation fused; backward as weight-and-bias gradients and input gradient. */
function compileDense(device: GPUDevice, uniform: GPUBuffer, op: DenseOp, index: number, b: OpBuffers, batch: number): CompiledOp {
  const { inputs: K, units: N, kernelOffset: W, biasOffset } = op;
  const input = inputBindings(b.input, K);
  const label = `dense${index}`;
  // Each thread computes `C` neighbouring columns, so one read of an input value serves C products.
  const C = columnsPerThread(N);
  const cols = Array.from({ length: C }, (_, c) => c);
  const Q = N / C;
  const sum = (term: (c: number) => string) => cols.map((c) => `acc${c} += ${term(c)};`).join(' ');
  const forward = compileDispatch(
    device,
    uniform,
    `${label} forward`,
    [{ name: 'params', buffer: b.params, access: 'read' }, ...input.bindings, { name: 'y', buffer: b.output, access: 'read_write' }],
    {
      prelude: input.prelude,
      threads: batch * Q,
      body: `
  if (i >= u.rows * ${Q}u) { return; }
  let r = i / ${Q}u;
  let n = (i % ${Q}u) * ${C}u;
  let base = rowBase(r);
  ${cols.map((c) => `var acc${c} = ${biasOffset === null ? '0.0' : `params[${biasOffset + c}u + n]`};`).join(' ')}
  for (var k = 0u; k < ${K}u; k++) {
    let v = x[base + k];
    let w = ${W}u + k * ${N}u + n;
    ${sum((c) => `v * params[w + ${c}u]`)}
  }
  ${cols.map((c) => `y[r * ${N}u + n + ${c}u] = ${activationWgsl(op.activation, `acc${c}`)};`).join('\n  ')}`,
    },
  );
  const weightGrads = compileDispatch(
    device,
    uniform,
    `${label} weight gradients`,
    [...input.bindings, { name: 'dy', buffer: b.outputGrad, access: 'read' }, { name: 'grads', buffer: b.grads, access: 'read_write' }],
    {
      prelude: input.prelude,
      threads: K * Q + (biasOffset === null ? 0 : N),
      body: `
  if (i < ${K * Q}u) {
    let k = i / ${Q}u;
    let n = (i % ${Q}u) * ${C}u;
    ${cols.map((c) => `var acc${c} = 0.0;`).join(' ')}
    for (var r = 0u; r < u.rows; r++) {
      let v = x[rowBase(r) + k];
      let d = r * ${N}u + n;
      ${sum((c) => `v * dy[d + ${c}u]`)}
    }
    ${cols.map((c) => `grads[${W}u + k * ${N}u + n + ${c}u] = acc${c};`).join(' ')}
  } else if (i < ${K * Q + (biasOffset === null ? 0 : N)}u) {
    let n = i - ${K * Q}u;
    var acc = 0.0;
    for (var r = 0u; r < u.rows; r++) { acc += dy[r * ${N}u + n]; }
    grads[${biasOffset ?? 0}u + n] = acc;
  }`,
    },
  );
  if (!b.inputGrad || b.input.kind === 'data') return { forward: [forward], backward: [weightGrads] };
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
      threads: batch * K,
      body: `
  if (i >= u.rows * ${K}u) { return; }
  let r = i / ${K}u;
  let k = i % ${K}u;
  var acc = 0.0;
  for (var n = 0u; n < ${N}u; n++) { acc += dy[r * ${N}u + n] * params[${W}u + k * ${N}u + n]; }
  dx[i] = acc * ${inputDerivative(b.input)};`,
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

/** Values per example an op keeps from its forward pass for its backward one: pooling's argmax. */
export function scratchWidth(op: LayerOp): number {
  return op.kind === 'maxPool' ? pixels(op.output) : 0;
}

/** The activation an op's output carries (what the next op's input gradient differentiates). */
export function outputActivation(op: LayerOp): Activation {
  return op.kind === 'dense' || op.kind === 'conv2d' ? op.activation : 'linear';
}
