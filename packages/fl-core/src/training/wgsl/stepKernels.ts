/// <reference types="@webgpu/types" />
import type { TrainingConfig } from '../../protocol/device.ts';
import { MOMENTUM } from '../optimizerStep.ts';
import { compileDispatch, type Dispatch, type StorageBinding } from './gpuProgram.ts';
import type { LossKind } from './layerPlan.ts';

/**
 * What the GPU accumulates over an epoch, read once at its end: the summed per-example loss, the
 * count of right answers, then one FedProx penalty partial per optimizer workgroup.
 */
export const STATS_LOSS = 0;
export const STATS_CORRECT = 1;
export const STATS_PARTIALS = 4;

/** Adam's constants, as tf.train.adam takes them by default (epsilon: the float32 backends' 1e-7). */
export const ADAM = { beta1: 0.9, beta2: 0.999, epsilon: 1e-7 } as const;

export const OPTIMIZER_WORKGROUP = 256;

const LOSS_WORKGROUP = 64;

export interface LossBuffers {
  order: GPUBuffer;
  labels: GPUBuffer;
  logits: GPUBuffer;
  logitsGrad: GPUBuffer;
  stats: GPUBuffer;
}

/**
 * The loss and its gradient with respect to the last layer's pre-activations in one kernel (one
 * workgroup over the batch): softmax cross-entropy, (softmax - onehot) / rows; or sigmoid
 * cross-entropy averaged over the classes, (sigmoid - onehot) / (rows * classes). It adds the
 * batch's summed loss and right answers (argmax, first of ties as tf.argMax) to the epoch's stats.
 */
export function compileLoss(device: GPUDevice, uniform: GPUBuffer, loss: LossKind, classes: number, b: LossBuffers): Dispatch {
  const C = classes;
  const perRow =
    loss === 'softmaxCrossEntropy'
      ? `
    var s = 0.0;
    for (var c = 0u; c < ${C}u; c++) { s += exp(z[r * ${C}u + c] - m); }
    total += log(s) - (z[r * ${C}u + label] - m);
    for (var c = 0u; c < ${C}u; c++) {
      let p = exp(z[r * ${C}u + c] - m) / s;
      dz[r * ${C}u + c] = (p - select(0.0, 1.0, c == label)) * scale;
    }`
      : `
    var rowLoss = 0.0;
    for (var c = 0u; c < ${C}u; c++) {
      let v = z[r * ${C}u + c];
      let y = select(0.0, 1.0, c == label);
      rowLoss += max(v, 0.0) - v * y + log(1.0 + exp(-abs(v)));
      dz[r * ${C}u + c] = (1.0 / (1.0 + exp(-v)) - y) * scale / ${C}.0;
    }
    total += rowLoss / ${C}.0;`;
  const bindings: StorageBinding[] = [
    { name: 'order', buffer: b.order, access: 'read', element: 'u32' },
    { name: 'labels', buffer: b.labels, access: 'read', element: 'u32' },
    { name: 'z', buffer: b.logits, access: 'read' },
    { name: 'dz', buffer: b.logitsGrad, access: 'read_write' },
    { name: 'stats', buffer: b.stats, access: 'read_write' },
  ];
  return compileDispatch(device, uniform, `${loss} with gradient`, bindings, {
    workgroupSize: LOSS_WORKGROUP,
    threads: LOSS_WORKGROUP,
    prelude: `var<workgroup> part: array<vec2f, ${LOSS_WORKGROUP}>;`,
    body: `
  let scale = 1.0 / f32(u.rows);
  var total = 0.0;
  var right = 0.0;
  for (var r = lid; r < u.rows; r += WG) {
    let label = labels[order[u.offset + r]];
    var m = z[r * ${C}u];
    var best = 0u;
    for (var c = 1u; c < ${C}u; c++) {
      let v = z[r * ${C}u + c];
      if (v > m) { m = v; best = c; }
    }
    right += select(0.0, 1.0, best == label);${perRow}
  }
  part[lid] = vec2f(total, right);
  workgroupBarrier();
  for (var half = WG / 2u; half > 0u; half >>= 1u) {
    if (lid < half) { part[lid] += part[lid + half]; }
    workgroupBarrier();
  }
  if (lid == 0u) {
    stats[${STATS_LOSS}] += part[0].x;
    stats[${STATS_CORRECT}] += part[0].y;
  }`,
  });
}

export type OptimizerKind = NonNullable<TrainingConfig['optimizer']>;

export interface OptimizerBuffers {
  params: GPUBuffer;
  grads: GPUBuffer;
  /** The parameters on entry (FedProx's anchor). */
  anchor: GPUBuffer;
  /** Momentum's velocity, Adam's first moment. */
  first: GPUBuffer;
  /** Adam's second moment. */
  second: GPUBuffer;
  stats: GPUBuffer;
}

/**
 * One dispatch over the flat parameter vector: the step of SGD, momentum (v = 0.9 v + lr g; w -= v,
 * as Flock's tfjs loop) or Adam (tf.train.adam's update), with FedProx's gradient mu (w - anchor)
 * added when `proximal`; each workgroup then adds rows * mu/2 * its sum of (w - anchor)^2 to its
 * own penalty partial.
 */
export function compileOptimizer(device: GPUDevice, uniform: GPUBuffer, kind: OptimizerKind, proximal: boolean, parameters: number, b: OptimizerBuffers): Dispatch {
  const update = {
    sgd: 'w -= u.lr * g;',
    momentum: `let velocity = ${MOMENTUM}f * first[i] + u.lr * g;
    first[i] = velocity;
    w -= velocity;`,
    adam: `let m = ${ADAM.beta1}f * first[i] + ${1 - ADAM.beta1}f * g;
    let v = ${ADAM.beta2}f * second[i] + ${1 - ADAM.beta2}f * g * g;
    first[i] = m;
    second[i] = v;
    w -= u.lr * (m * u.c1) / (sqrt(v * u.c2) + ${ADAM.epsilon}f);`,
  }[kind];
  const bindings: StorageBinding[] = [
    { name: 'params', buffer: b.params, access: 'read_write' },
    { name: 'grads', buffer: b.grads, access: 'read' },
    ...(proximal ? [{ name: 'anchor', buffer: b.anchor, access: 'read' } as const, { name: 'stats', buffer: b.stats, access: 'read_write' } as const] : []),
    ...(kind !== 'sgd' ? [{ name: 'first', buffer: b.first, access: 'read_write' } as const] : []),
    ...(kind === 'adam' ? [{ name: 'second', buffer: b.second, access: 'read_write' } as const] : []),
  ];
  const penalty = proximal
    ? {
        prelude: `var<workgroup> part: array<f32, ${OPTIMIZER_WORKGROUP}>;`,
        before: `let diff = w - anchor[i];
    g += u.mu * diff;
    squared = diff * diff;`,
        after: `
  part[lid] = squared;
  workgroupBarrier();
  for (var half = WG / 2u; half > 0u; half >>= 1u) {
    if (lid < half) { part[lid] += part[lid + half]; }
    workgroupBarrier();
  }
  if (lid == 0u) { stats[${STATS_PARTIALS}u + wg] += f32(u.rows) * 0.5 * u.mu * part[0]; }`,
      }
    : { prelude: '', before: '', after: '' };
  return compileDispatch(device, uniform, `${kind}${proximal ? ' + proximal' : ''} step`, bindings, {
    workgroupSize: OPTIMIZER_WORKGROUP,
    threads: parameters,
    prelude: penalty.prelude,
    body: `
  var squared = 0.0;
  if (i < ${parameters}u) {
    var w = params[i];
    var g = grads[i];
    ${penalty.before}
    ${update}
    params[i] = w;
  }${penalty.after}`,
  });
}
