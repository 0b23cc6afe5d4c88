/// <reference types="@webgpu/types" />
import type { TrainingConfig } from '../../protocol/device.ts';
import { MOMENTUM } from '../optimizerStep.ts';
import { compileDispatch, type Dispatch, type StorageBinding } from './gpuProgram.ts';

/**
 * What the GPU accumulates over an epoch, read once at its end, without a barrier or an atomic
 * anywhere (software WebGPU runs workgroup barriers slowly): the loss kernel's threads each keep a
 * (summed loss, right answers) pair, then come FedProx's penalty partials, each the sum of a run of
 * the per-parameter penalty buffer.
 */
export const LOSS_THREADS = 64;
export const STATS_PARTIALS = 2 * LOSS_THREADS;
export const PENALTY_RUN = 256;

/** Adam's constants, as tf.train.adam takes them by default (epsilon: the float32 backends' 1e-7). */
export const ADAM = { beta1: 0.9, beta2: 0.999, epsilon: 1e-7 } as const;

export interface LossBuffers {
  order: GPUBuffer;
  labels: GPUBuffer;
  logits: GPUBuffer;
  logitsGrad: GPUBuffer;
  stats: GPUBuffer;
}

/**
 * Softmax cross-entropy and its gradient with respect to the logits, (softmax - onehot) / rows, in one kernel (one
 * workgroup over the batch). Each thread adds its rows' loss and right answers (argmax, first of ties as tf.argMax) to
 * its own pair of stats.
 */
export function compileLoss(device: GPUDevice, uniform: GPUBuffer, classes: number, b: LossBuffers): Dispatch {
  const C = classes;
  const perRow = `
    var s = 0.0;
    for (var c = 0u; c < ${C}u; c++) { s += exp(z[r * ${C}u + c] - m); }
    total += log(s) - (z[r * ${C}u + label] - m);
    for (var c = 0u; c < ${C}u; c++) {
      let p = exp(z[r * ${C}u + c] - m) / s;
      dz[r * ${C}u + c] = (p - select(0.0, 1.0, c == label)) * scale;
    }`;
  const bindings: StorageBinding[] = [
    { name: 'order', buffer: b.order, access: 'read', element: 'u32' },
    { name: 'labels', buffer: b.labels, access: 'read', element: 'u32' },
    { name: 'z', buffer: b.logits, access: 'read' },
    { name: 'dz', buffer: b.logitsGrad, access: 'read_write' },
    { name: 'stats', buffer: b.stats, access: 'read_write' },
  ];
  return compileDispatch(device, uniform, 'softmax cross-entropy with gradient', bindings, {
    workgroupSize: LOSS_THREADS,
    threads: LOSS_THREADS,
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
  stats[2u * lid] += total;
  stats[2u * lid + 1u] += right;`,
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
  /** Per parameter, the step-weighted sum of (w - anchor)^2 over the epoch. */
  penalty: GPUBuffer;
}

/**
 * One dispatch over the flat parameter vector: the step of SGD, momentum (v = 0.9 v + lr g; w -= v,
 * as Flock's tfjs loop) or Adam (tf.train.adam's update), with FedProx's gradient mu (w - anchor)
 * added when `proximal`, and rows * (w - anchor)^2 added to the parameter's penalty (the loss's
 * term is mu/2 times the sum, taken once per epoch by compilePenaltySum).
 */
export function compileOptimizer(
  device: GPUDevice,
  uniform: GPUBuffer,
  kind: OptimizerKind,
  proximal: boolean,
  parameters: number,
  b: OptimizerBuffers,
): Dispatch {
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
    ...(proximal ? [{ name: 'anchor', buffer: b.anchor, access: 'read' } as const, { name: 'penalty', buffer: b.penalty, access: 'read_write' } as const] : []),
    ...(kind !== 'sgd' ? [{ name: 'first', buffer: b.first, access: 'read_write' } as const] : []),
    ...(kind === 'adam' ? [{ name: 'second', buffer: b.second, access: 'read_write' } as const] : []),
  ];
  const penalty = proximal
    ? `let diff = w - anchor[i];
    g += u.mu * diff;
    penalty[i] += f32(u.rows) * diff * diff;`
    : '';
  return compileDispatch(device, uniform, `${kind}${proximal ? ' + proximal' : ''} step`, bindings, {
    threads: parameters,
    body: `
  if (i >= ${parameters}u) { return; }
  var w = params[i];
  var g = grads[i];
  ${penalty}
  ${update}
  params[i] = w;`,
  });
}

/** Once per epoch: each thread sums a run of PENALTY_RUN penalty values into its stats partial. */
export function compilePenaltySum(device: GPUDevice, uniform: GPUBuffer, parameters: number, penalty: GPUBuffer, stats: GPUBuffer): Dispatch {
  const bindings: StorageBinding[] = [
    { name: 'penalty', buffer: penalty, access: 'read' },
    { name: 'stats', buffer: stats, access: 'read_write' },
  ];
  return compileDispatch(device, uniform, 'proximal penalty sums', bindings, {
    threads: penaltyPartials(parameters),
    body: `
  if (i >= ${penaltyPartials(parameters)}u) { return; }
  var sum = 0.0;
  for (var j = i * ${PENALTY_RUN}u; j < min((i + 1u) * ${PENALTY_RUN}u, ${parameters}u); j++) { sum += penalty[j]; }
  stats[${STATS_PARTIALS}u + i] = sum;`,
  });
}

export function penaltyPartials(parameters: number): number {
  return Math.ceil(parameters / PENALTY_RUN);
}
