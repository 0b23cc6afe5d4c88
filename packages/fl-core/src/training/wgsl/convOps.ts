/// <reference types="@webgpu/types" />
import { compileDispatch } from './gpuProgram.ts';
import { activationWgsl, columnsPerThread, inputBindings, inputDerivative, type CompiledOp, type OpBuffers } from './kernelParts.ts';
import type { Conv2DOp, MaxPoolOp } from './layerPlan.ts';

/**
 * WGSL for `[start, end)`: the values of a kernel or window offset `k` (0 <= k < `count`) for which
 * `at + k - pad` stays inside `0..size`, as u32 let-bindings named `${name}0` and `${name}1`.
 * Bounding the loops so keeps every tap inside the image without a branch in the loop's body.
 */
function taps(name: string, at: string, count: number, pad: number, size: number): string {
  return `let ${name}0 = u32(max(0, ${pad} - i32(${at})));
  let ${name}1 = u32(min(${count}, ${size + pad} - i32(${at})));`;
}

/**
 * Conv2D, stride 1, NHWC activations and an HWIO kernel at `kernelOffset` in the flat parameters:
 * the forward pass with bias and activation in one kernel; the backward pass as one kernel for the
 * kernel's and bias's gradients and one for the input's (with the input's activation derivative).
 * Each thread computes up to four neighbouring channels, so one read serves four products.
 */
export function compileConv2d(device: GPUDevice, uniform: GPUBuffer, op: Conv2DOp, index: number, b: OpBuffers, batch: number): CompiledOp {
  const { height: IH, width: IW, channels: CI } = op.input;
  const { height: OH, width: OW, channels: CO } = op.output;
  const { kernelHeight: KH, kernelWidth: KW, padTop: PT, padLeft: PL, kernelOffset: W, biasOffset } = op;
  const input = inputBindings(b.input, IH * IW * CI);
  const label = `conv${index}`;
  const columns = (count: number) => Array.from({ length: columnsPerThread(count) }, (_, c) => c);

  // Forward: a thread per (row, output pixel, run of C filters).
  const outs = columns(CO);
  const Q = CO / outs.length;
  const forward = compileDispatch(
    device,
    uniform,
    `${label} forward`,
    [{ name: 'params', buffer: b.params, access: 'read' }, ...input.bindings, { name: 'y', buffer: b.output, access: 'read_write' }],
    {
      prelude: input.prelude,
      threads: batch * OH * OW * Q,
      body: `
  if (i >= u.rows * ${OH * OW * Q}u) { return; }
  let r = i / ${OH * OW * Q}u;
  let p = (i % ${OH * OW * Q}u) / ${Q}u;
  let n = (i % ${Q}u) * ${outs.length}u;
  let oh = p / ${OW}u;
  let ow = p % ${OW}u;
  let base = rowBase(r);
  ${outs.map((c) => `var acc${c} = ${biasOffset === null ? '0.0' : `params[${biasOffset + c}u + n]`};`).join(' ')}
  ${taps('kh', 'oh', KH, PT, IH)}
  ${taps('kw', 'ow', KW, PL, IW)}
  for (var kh = kh0; kh < kh1; kh++) {
    for (var kw = kw0; kw < kw1; kw++) {
      let xb = base + ((oh + kh - ${PT}u) * ${IW}u + ow + kw - ${PL}u) * ${CI}u;
      let wb = ${W}u + (kh * ${KW}u + kw) * ${CI * CO}u + n;
      for (var ci = 0u; ci < ${CI}u; ci++) {
        let v = x[xb + ci];
        let w = wb + ci * ${CO}u;
        ${outs.map((c) => `acc${c} += v * params[w + ${c}u];`).join(' ')}
      }
    }
  }
  let at = (r * ${OH * OW}u + p) * ${CO}u + n;
  ${outs.map((c) => `y[at + ${c}u] = ${activationWgsl(op.activation, `acc${c}`)};`).join('\n  ')}`,
    },
  );

  // Kernel gradient: a thread per (kernel tap, input channel, run of C filters), summing over the
  // batch's output pixels whose window reads that tap; then a thread per filter for the bias.
  const tapThreads = KH * KW * CI * Q;
  const biasThreads = biasOffset === null ? 0 : CO;
  const weightGrads = compileDispatch(
    device,
    uniform,
    `${label} kernel gradients`,
    [...input.bindings, { name: 'dy', buffer: b.outputGrad, access: 'read' }, { name: 'grads', buffer: b.grads, access: 'read_write' }],
    {
      prelude: input.prelude,
      threads: tapThreads + biasThreads,
      body: `
  if (i < ${tapThreads}u) {
    let n = (i % ${Q}u) * ${outs.length}u;
    let t = i / ${Q}u;
    let ci = t % ${CI}u;
    let kh = t / ${CI * KW}u;
    let kw = (t / ${CI}u) % ${KW}u;
    // Output pixels (oh, ow) read input (oh + kh - PT, ow + kw - PL): kept inside the image.
    let oh0 = u32(max(0, ${PT} - i32(kh)));
    let oh1 = u32(min(${OH}, ${IH + PT} - i32(kh)));
    let ow0 = u32(max(0, ${PL} - i32(kw)));
    let ow1 = u32(min(${OW}, ${IW + PL} - i32(kw)));
    ${outs.map((c) => `var acc${c} = 0.0;`).join(' ')}
    for (var r = 0u; r < u.rows; r++) {
      let base = rowBase(r) + ci;
      for (var oh = oh0; oh < oh1; oh++) {
        let xrow = base + (oh + kh - ${PT}u) * ${IW * CI}u;
        let drow = (r * ${OH}u + oh) * ${OW * CO}u + n;
        for (var ow = ow0; ow < ow1; ow++) {
          let v = x[xrow + (ow + kw - ${PL}u) * ${CI}u];
          let d = drow + ow * ${CO}u;
          ${outs.map((c) => `acc${c} += v * dy[d + ${c}u];`).join(' ')}
        }
      }
    }
    let g = ${W}u + t * ${CO}u + n;
    ${outs.map((c) => `grads[g + ${c}u] = acc${c};`).join(' ')}
  } else if (i < ${tapThreads + biasThreads}u) {
    let n = i - ${tapThreads}u;
    var acc = 0.0;
    for (var j = 0u; j < u.rows * ${OH * OW}u; j++) { acc += dy[j * ${CO}u + n]; }
    grads[${biasOffset ?? 0}u + n] = acc;
  }`,
    },
  );
  if (!b.inputGrad || b.input.kind === 'data') return { forward: [forward], backward: [weightGrads] };

  // Input gradient: a thread per (row, input pixel, run of C input channels), summing over the
  // kernel taps whose output pixel lies inside the output.
  const ins = columns(CI);
  const R = CI / ins.length;
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
      threads: batch * IH * IW * R,
      body: `
  if (i >= u.rows * ${IH * IW * R}u) { return; }
  let r = i / ${IH * IW * R}u;
  let p = (i % ${IH * IW * R}u) / ${R}u;
  let k = (i % ${R}u) * ${ins.length}u;
  let ih = p / ${IW}u;
  let iw = p % ${IW}u;
  // Taps whose output pixel (ih + PT - kh, iw + PL - kw) lies inside the output.
  let kh0 = u32(max(0, i32(ih) - ${OH - 1 - PT}));
  let kh1 = u32(min(${KH}, i32(ih) + ${PT + 1}));
  let kw0 = u32(max(0, i32(iw) - ${OW - 1 - PL}));
  let kw1 = u32(min(${KW}, i32(iw) + ${PL + 1}));
  ${ins.map((c) => `var acc${c} = 0.0;`).join(' ')}
  for (var kh = kh0; kh < kh1; kh++) {
    for (var kw = kw0; kw < kw1; kw++) {
      let d = ((r * ${OH}u + ih + ${PT}u - kh) * ${OW}u + iw + ${PL}u - kw) * ${CO}u;
      let wb = ${W}u + ((kh * ${KW}u + kw) * ${CI}u + k) * ${CO}u;
      for (var co = 0u; co < ${CO}u; co++) {
        let g = dy[d + co];
        ${ins.map((c) => `acc${c} += g * params[wb + ${c * CO}u + co];`).join(' ')}
      }
    }
  }
  let at = (r * ${IH * IW}u + p) * ${CI}u + k;
  ${ins.map((c) => `dx[at + ${c}u] = acc${c} * ${inputDerivative(b.input, `at + ${c}u`)};`).join('\n  ')}`,
    },
  );
  return { forward: [forward], backward: [weightGrads, inputGrad] };
}

/**
 * MaxPooling2D without padding. The forward kernel records, per output, which input pixel won (the
 * first of ties, as tfjs's maxPool gradient takes it); the backward kernel is that scatter written
 * as a gather: each input value sums the output gradients of the windows that it won, so no two
 * threads write one value and no atomics are needed, even for overlapping windows.
 */
export function compileMaxPool(device: GPUDevice, uniform: GPUBuffer, op: MaxPoolOp, index: number, b: OpBuffers, batch: number): CompiledOp {
  const { height: IH, width: IW, channels: CH } = op.input;
  const { height: OH, width: OW } = op.output;
  const { poolHeight: PH, poolWidth: PW, strideHeight: SH, strideWidth: SW } = op;
  if (!b.scratch) throw new Error(`max pooling op ${index} needs a buffer for its argmax`);
  const input = inputBindings(b.input, IH * IW * CH);
  const label = `maxPool${index}`;
  const outputs = OH * OW * CH;
  const forward = compileDispatch(
    device,
    uniform,
    `${label} forward`,
    [...input.bindings, { name: 'y', buffer: b.output, access: 'read_write' }, { name: 'argmax', buffer: b.scratch, access: 'read_write', element: 'u32' }],
    {
      prelude: input.prelude,
      threads: batch * outputs,
      body: `
  if (i >= u.rows * ${outputs}u) { return; }
  let r = i / ${outputs}u;
  let p = (i % ${outputs}u) / ${CH}u;
  let c = i % ${CH}u;
  let base = rowBase(r) + c;
  let corner = (p / ${OW}u) * ${SH * IW}u + (p % ${OW}u) * ${SW}u;
  var best = corner;
  var m = x[base + corner * ${CH}u];
  for (var ph = 0u; ph < ${PH}u; ph++) {
    for (var pw = 0u; pw < ${PW}u; pw++) {
      let q = corner + ph * ${IW}u + pw;
      let v = x[base + q * ${CH}u];
      if (v > m) { m = v; best = q; }
    }
  }
  y[i] = m;
  argmax[i] = best;`,
    },
  );
  if (!b.inputGrad || b.input.kind === 'data') return { forward: [forward], backward: [] };
  const inputs = IH * IW * CH;
  const inputGrad = compileDispatch(
    device,
    uniform,
    `${label} input gradient`,
    [
      { name: 'x', buffer: b.input.x, access: 'read' },
      { name: 'argmax', buffer: b.scratch, access: 'read', element: 'u32' },
      { name: 'dy', buffer: b.outputGrad, access: 'read' },
      { name: 'dx', buffer: b.inputGrad, access: 'read_write' },
    ],
    {
      threads: batch * inputs,
      body: `
  if (i >= u.rows * ${inputs}u) { return; }
  let r = i / ${inputs}u;
  let p = (i % ${inputs}u) / ${CH}u;
  let c = i % ${CH}u;
  let ih = p / ${IW}u;
  let iw = p % ${IW}u;
  // The windows holding (ih, iw): oh * SH <= ih < oh * SH + PH, and the same across.
  let oh0 = select(0u, (ih + ${SH}u - ${PH}u) / ${SH}u, ih >= ${PH}u);
  let oh1 = min(ih / ${SH}u + 1u, ${OH}u);
  let ow0 = select(0u, (iw + ${SW}u - ${PW}u) / ${SW}u, iw >= ${PW}u);
  let ow1 = min(iw / ${SW}u + 1u, ${OW}u);
  var acc = 0.0;
  for (var oh = oh0; oh < oh1; oh++) {
    for (var ow = ow0; ow < ow1; ow++) {
      let o = ((r * ${OH}u + oh) * ${OW}u + ow) * ${CH}u + c;
      if (argmax[o] == p) { acc += dy[o]; }
    }
  }
  dx[i] = acc * ${inputDerivative(b.input)};`,
    },
  );
  return { forward: [forward], backward: [inputGrad] };
}
