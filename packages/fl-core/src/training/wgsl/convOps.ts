/// <reference types="@webgpu/types" />
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
 * Threads a convolution's kernel gradient should have at least, so that a GPU keeps busy even for a
 * first layer with few weights; below that, the batch's rows are split into slices summed apart.
 */
const KERNEL_GRADIENT_THREADS = 8192;

/**
 * How the kernel gradient splits its sums over the batch: into `slices` of rows, each with
 * `tapThreads` kernel threads and then its bias threads (`threads` in all), over the conv's
 * `parameters` (kernel, then bias).
 */
export function kernelGradientSlices(op: Conv2DOp, batch: number): { slices: number; tapThreads: number; threads: number; parameters: number } {
  const { kernelHeight, kernelWidth, input, output, biasOffset } = op;
  const bias = biasOffset === null ? 0 : output.channels;
  const tapThreads = (kernelHeight * kernelWidth * input.channels * output.channels) / (columnsPerThread(input.channels) * columnsPerThread(output.channels));
  const threads = tapThreads + bias;
  const slices = Math.max(1, Math.min(batch, Math.floor(KERNEL_GRADIENT_THREADS / threads)));
  return { slices, tapThreads, threads, parameters: kernelHeight * kernelWidth * input.channels * output.channels + bias };
}

/** Floats a convolution keeps between its kernel gradient's dispatches: a sum per slice and parameter, when sliced. */
export function convScratchValues(op: Conv2DOp, batch: number): number {
  const { slices, parameters } = kernelGradientSlices(op, batch);
  return slices > 1 ? slices * parameters : 0;
}

/**
 * Conv2D, stride 1, NHWC activations and an HWIO kernel at `kernelOffset` in the flat parameters:
 * the forward pass with bias and activation in one kernel; the backward pass as one kernel for the
 * kernel's and bias's gradients and one for the input's (with the input's activation derivative).
 * Each thread computes a tile (runs of rows, filters or input channels), so that every value it
 * reads serves several products.
 */
export function compileConv2d(device: GPUDevice, uniform: GPUBuffer, op: Conv2DOp, index: number, b: OpBuffers, batch: number): CompiledOp {
  const { height: IH, width: IW, channels: CI } = op.input;
  const { height: OH, width: OW, channels: CO } = op.output;
  const { kernelHeight: KH, kernelWidth: KW, padTop: PT, padLeft: PL, kernelOffset: W, biasOffset } = op;
  const input = inputBindings(b.input, IH * IW * CI);
  const label = `conv${index}`;
  const columns = (count: number) => indices(columnsPerThread(count));
  const rows = indices(ROWS);

  // Forward: a thread per (run of rows, output pixel, run of filters).
  const outs = columns(CO);
  const Q = CO / outs.length;
  const groups = Math.ceil(batch / ROWS);
  const forward = compileDispatch(
    device,
    uniform,
    `${label} forward`,
    [{ name: 'params', buffer: b.params, access: 'read' }, ...input.bindings, { name: 'y', buffer: b.output, access: 'read_write' }],
    {
      prelude: input.prelude,
      threads: groups * OH * OW * Q,
      body: `
  let r0 = (i / ${OH * OW * Q}u) * ${ROWS}u;
  if (r0 >= u.rows) { return; }
  let p = (i % ${OH * OW * Q}u) / ${Q}u;
  let n = (i % ${Q}u) * ${outs.length}u;
  let oh = p / ${OW}u;
  let ow = p % ${OW}u;
  ${rows.map((j) => `let base${j} = rowBase(min(r0 + ${j}u, u.rows - 1u));`).join('\n  ')}
  ${outs.map((c) => `let bias${c} = ${biasOffset === null ? '0.0' : `params[${biasOffset + c}u + n]`};`).join(' ')}
  ${accumulators(rows, outs, (c) => `bias${c}`, '  ')}
  ${taps('kh', 'oh', KH, PT, IH)}
  ${taps('kw', 'ow', KW, PL, IW)}
  for (var kh = kh0; kh < kh1; kh++) {
    for (var kw = kw0; kw < kw1; kw++) {
      let xo = ((oh + kh - ${PT}u) * ${IW}u + ow + kw - ${PL}u) * ${CI}u;
      let wb = ${W}u + (kh * ${KW}u + kw) * ${CI * CO}u + n;
      for (var ci = 0u; ci < ${CI}u; ci++) {
        let w = wb + ci * ${CO}u;
        ${outs.map((c) => `let w${c} = params[w + ${c}u];`).join(' ')}
        ${rows.map((j) => `let v${j} = x[base${j} + xo + ci];`).join(' ')}
        ${products(
          rows,
          outs,
          (j) => `v${j}`,
          (c) => `w${c}`,
          '        ',
        )}
      }
    }
  }
  ${inBatch(
    rows,
    (j) =>
      `let at = ((r0 + ${j}u) * ${OH * OW}u + p) * ${CO}u + n; ${outs.map((c) => `y[at + ${c}u] = ${activationWgsl(op.activation, `acc${j}${c}`)};`).join(' ')}`,
    '  ',
  )}`,
    },
  );

  // Kernel gradient: a thread per (slice of the batch, kernel tap, run of input channels, run of
  // filters), summing over its rows' output pixels whose window reads that tap; then a thread per
  // (slice, filter) for the bias. With more than one slice the sums land in the scratch buffer,
  // and one more dispatch adds the slices into the gradients.
  const ins = columns(CI);
  const A = CI / ins.length;
  const { tapThreads, threads: sliceThreads, slices, parameters } = kernelGradientSlices(op, batch);
  const kernelSize = KH * KW * CI * CO;
  const sliced = slices > 1;
  if (sliced && !b.scratch) throw new Error(`convolution op ${index} needs a buffer for its gradient slices`);
  const sums = sliced
    ? { name: 'partials', buffer: b.scratch!, access: 'read_write' as const }
    : { name: 'grads', buffer: b.grads, access: 'read_write' as const };
  /** Where the slice's sum for the conv's `local`-th parameter (kernel, then bias) goes. */
  const sumAt = (local: string) => (sliced ? `partials[s * ${parameters}u + ${local}]` : `grads[${W}u + ${local}]`);
  const biasAt = (n: string) => (sliced ? sumAt(`${kernelSize}u + ${n}`) : `grads[${biasOffset ?? 0}u + ${n}]`);
  const weightGrads = compileDispatch(
    device,
    uniform,
    `${label} kernel gradients`,
    [...input.bindings, { name: 'dy', buffer: b.outputGrad, access: 'read' }, sums],
    {
      prelude: input.prelude,
      threads: slices * sliceThreads,
      body: `
  let s = i / ${sliceThreads}u;
  let t = i % ${sliceThreads}u;
  if (s >= ${slices}u) { return; }
  if (t < ${tapThreads}u) {
    let n = (t % ${Q}u) * ${outs.length}u;
    let tap = t / ${Q}u;
    let ci = (tap % ${A}u) * ${ins.length}u;
    let kh = tap / ${A * KW}u;
    let kw = (tap / ${A}u) % ${KW}u;
    // Output pixels (oh, ow) read input (oh + kh - PT, ow + kw - PL): kept inside the image.
    let oh0 = u32(max(0, ${PT} - i32(kh)));
    let oh1 = u32(min(${OH}, ${IH + PT} - i32(kh)));
    let ow0 = u32(max(0, ${PL} - i32(kw)));
    let ow1 = u32(min(${OW}, ${IW + PL} - i32(kw)));
    ${accumulators(ins, outs, () => '0.0', '    ')}
    for (var r = s; r < u.rows; r += ${slices}u) {
      let base = rowBase(r) + ci;
      for (var oh = oh0; oh < oh1; oh++) {
        let xrow = base + (oh + kh - ${PT}u) * ${IW * CI}u;
        let drow = (r * ${OH}u + oh) * ${OW * CO}u + n;
        for (var ow = ow0; ow < ow1; ow++) {
          let xa = xrow + (ow + kw - ${PL}u) * ${CI}u;
          let d = drow + ow * ${CO}u;
          ${ins.map((a) => `let v${a} = x[xa + ${a}u];`).join(' ')}
          ${outs.map((c) => `let g${c} = dy[d + ${c}u];`).join(' ')}
          ${products(
            ins,
            outs,
            (a) => `v${a}`,
            (c) => `g${c}`,
            '          ',
          )}
        }
      }
    }
    let g = ((kh * ${KW}u + kw) * ${CI}u + ci) * ${CO}u + n;
    ${ins.map((a) => outs.map((c) => `${sumAt(`g + ${a * CO + c}u`)} = acc${a}${c};`).join(' ')).join('\n    ')}
  } else {
    let n = t - ${tapThreads}u;
    var acc = 0.0;
    for (var r = s; r < u.rows; r += ${slices}u) {
      for (var j = r * ${OH * OW}u; j < (r + 1u) * ${OH * OW}u; j++) { acc += dy[j * ${CO}u + n]; }
    }
    ${biasAt('n')} = acc;
  }`,
    },
  );
  const addSlices = sliced
    ? [
        compileDispatch(
          device,
          uniform,
          `${label} gradient slices`,
          [
            { name: 'partials', buffer: b.scratch!, access: 'read' },
            { name: 'grads', buffer: b.grads, access: 'read_write' },
          ],
          {
            threads: parameters,
            body: `
  if (i >= ${parameters}u) { return; }
  var acc = 0.0;
  for (var s = 0u; s < ${slices}u; s++) { acc += partials[s * ${parameters}u + i]; }
  if (i < ${kernelSize}u) { grads[${W}u + i] = acc; } else { grads[${biasOffset ?? 0}u + i - ${kernelSize}u] = acc; }`,
          },
        ),
      ]
    : [];
  const gradients = [weightGrads, ...addSlices];
  if (!b.inputGrad || b.input.kind === 'data') return { forward: [forward], backward: gradients };

  // Input gradient: a thread per (run of rows, input pixel, run of input channels), summing over the
  // kernel taps whose output pixel lies inside the output.
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
      threads: groups * IH * IW * A,
      body: `
  let r0 = (i / ${IH * IW * A}u) * ${ROWS}u;
  if (r0 >= u.rows) { return; }
  let p = (i % ${IH * IW * A}u) / ${A}u;
  let k = (i % ${A}u) * ${ins.length}u;
  let ih = p / ${IW}u;
  let iw = p % ${IW}u;
  ${rows.map((j) => `let dbase${j} = min(r0 + ${j}u, u.rows - 1u) * ${OH * OW * CO}u;`).join('\n  ')}
  // Taps whose output pixel (ih + PT - kh, iw + PL - kw) lies inside the output.
  let kh0 = u32(max(0, i32(ih) - ${OH - 1 - PT}));
  let kh1 = u32(min(${KH}, i32(ih) + ${PT + 1}));
  let kw0 = u32(max(0, i32(iw) - ${OW - 1 - PL}));
  let kw1 = u32(min(${KW}, i32(iw) + ${PL + 1}));
  ${accumulators(rows, ins, () => '0.0', '  ')}
  for (var kh = kh0; kh < kh1; kh++) {
    for (var kw = kw0; kw < kw1; kw++) {
      let d = ((ih + ${PT}u - kh) * ${OW}u + iw + ${PL}u - kw) * ${CO}u;
      let wb = ${W}u + ((kh * ${KW}u + kw) * ${CI}u + k) * ${CO}u;
      for (var co = 0u; co < ${CO}u; co++) {
        ${ins.map((a) => `let w${a} = params[wb + ${a * CO}u + co];`).join(' ')}
        ${rows.map((j) => `let g${j} = dy[dbase${j} + d + co];`).join(' ')}
        ${products(
          rows,
          ins,
          (j) => `g${j}`,
          (a) => `w${a}`,
          '        ',
        )}
      }
    }
  }
  ${inBatch(
    rows,
    (j) =>
      `let at = ((r0 + ${j}u) * ${IH * IW}u + p) * ${CI}u + k; ${ins.map((a) => `dx[at + ${a}u] = acc${j}${a} * ${inputDerivative(b.input, `at + ${a}u`)};`).join(' ')}`,
    '  ',
  )}`,
    },
  );
  return { forward: [forward], backward: [...gradients, inputGrad] };
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
  var acc = 0.0;
  ${
    SH >= PH && SW >= PW
      ? `// Windows that do not overlap: at most one holds (ih, iw).
  let oh = ih / ${SH}u;
  let ow = iw / ${SW}u;
  let o = ((r * ${OH}u + min(oh, ${OH - 1}u)) * ${OW}u + min(ow, ${OW - 1}u)) * ${CH}u + c;
  if (oh < ${OH}u && ow < ${OW}u && argmax[o] == p) { acc = dy[o]; }`
      : `// The windows holding (ih, iw): oh * SH <= ih < oh * SH + PH, and the same across.
  let oh0 = select(0u, (ih + ${SH}u - ${PH}u) / ${SH}u, ih >= ${PH}u);
  let oh1 = min(ih / ${SH}u + 1u, ${OH}u);
  let ow0 = select(0u, (iw + ${SW}u - ${PW}u) / ${SW}u, iw >= ${PW}u);
  let ow1 = min(iw / ${SW}u + 1u, ${OW}u);
  for (var oh = oh0; oh < oh1; oh++) {
    for (var ow = ow0; ow < ow1; ow++) {
      let o = ((r * ${OH}u + oh) * ${OW}u + ow) * ${CH}u + c;
      if (argmax[o] == p) { acc += dy[o]; }
    }
  }`
  }
  dx[i] = acc * ${inputDerivative(b.input)};`,
    },
  );
  return { forward: [forward], backward: [inputGrad] };
}
