/// <reference types="@webgpu/types" />
import type { Dispatch, StorageBinding } from './gpuProgram.ts';
import type { Activation } from './layerPlan.ts';

/**
 * Where an op reads its input rows: the resident dataset through the epoch's order (the first op:
 * the batch is gathered inside its kernels, no copy), or the previous op's output buffer, whose
 * activation the op's input gradient applies (so every gradient buffer holds the gradient of the
 * pre-activation).
 */
export type InputSource = { kind: 'data'; x: GPUBuffer; order: GPUBuffer } | { kind: 'activations'; x: GPUBuffer; activation: Activation };

export interface OpBuffers {
  input: InputSource;
  output: GPUBuffer;
  /** The loss's gradient with respect to `output` (before this op's activation). */
  outputGrad: GPUBuffer;
  /** Where the input's gradient goes; null for the first op (nothing to learn about the data). */
  inputGrad: GPUBuffer | null;
  /** What the op keeps between its dispatches (scratchValues floats or u32s), or null. */
  scratch: GPUBuffer | null;
  params: GPUBuffer;
  grads: GPUBuffer;
}

/** An op's dispatches for one step: the forward ones in model order, the backward ones in reverse. */
export interface CompiledOp {
  forward: Dispatch[];
  backward: Dispatch[];
}

export function activationWgsl(activation: Activation, x: string): string {
  switch (activation) {
    case 'relu':
      return `max(${x}, 0.0)`;
    case 'sigmoid':
      return `1.0 / (1.0 + exp(-${x}))`;
    case 'tanh':
      // tanh saturates in float32 by |x| = 9; some WGSL implementations overflow to NaN far beyond.
      return `tanh(clamp(${x}, -9.0, 9.0))`;
    case 'linear':
      return x;
    default: {
      const unknown: never = activation;
      throw new Error(`no WGSL for activation ${String(unknown)}`);
    }
  }
}

/** The activation's derivative written in terms of its output `y`, parenthesized: it is a factor. */
function derivativeWgsl(activation: Activation, y: string): string {
  switch (activation) {
    case 'relu':
      return `select(0.0, 1.0, ${y} > 0.0)`;
    case 'sigmoid':
      return `(${y} * (1.0 - ${y}))`;
    case 'tanh':
      return `(1.0 - ${y} * ${y})`;
    case 'linear':
      return '1.0';
    default: {
      const unknown: never = activation;
      throw new Error(`no WGSL for activation ${String(unknown)}`);
    }
  }
}

/** The input's bindings and `rowBase(r)`: where example row r of the batch starts in `x`. */
export function inputBindings(input: InputSource, width: number): { bindings: StorageBinding[]; prelude: string } {
  if (input.kind === 'data') {
    return {
      bindings: [
        { name: 'x', buffer: input.x, access: 'read' },
        { name: 'order', buffer: input.order, access: 'read', element: 'u32' },
      ],
      prelude: `fn rowBase(r: u32) -> u32 { return order[u.offset + r] * ${width}u; }`,
    };
  }
  return { bindings: [{ name: 'x', buffer: input.x, access: 'read' }], prelude: `fn rowBase(r: u32) -> u32 { return r * ${width}u; }` };
}

/** The input gradient's factor at `x[index]` for the activation that produced the input (`x` holds that activation's output). */
export const inputDerivative = (input: InputSource, index = 'i') => (input.kind === 'data' ? '1.0' : derivativeWgsl(input.activation, `x[${index}]`));

/** How many neighbouring outputs one thread computes: four when `count` allows, so one read of a shared operand serves four products. */
export const columnsPerThread = (count: number) => (count % 4 === 0 ? 4 : 1);

/**
 * Batch rows one thread computes together, so that each weight read serves that many products; a
 * run past the batch's last row reads that row again and writes nothing.
 */
export const ROWS = 4;

/** 0, 1, ..., n - 1: the unrolled indices of a thread's runs of rows or columns. */
export const indices = (n: number) => Array.from({ length: n }, (_, j) => j);

/** WGSL declaring `acc${a}${b}` for every pair of `a` and `b` runs, set to `init(b)`. */
export const accumulators = (a: number[], b: number[], init: (b: number) => string, indent: string) =>
  a.map((x) => b.map((y) => `var acc${x}${y} = ${init(y)};`).join(' ')).join(`\n${indent}`);

/** WGSL running `write(j)` for each row `r0 + j` of a thread's run that lies inside the batch. */
export const inBatch = (rows: number[], write: (j: number) => string, indent: string) =>
  rows.map((j) => `if (r0 + ${j}u < u.rows) { ${write(j)} }`).join(`\n${indent}`);

/** WGSL adding the products of every pair of `a` and `b` runs into `acc${a}${b}`. */
export const products = (a: number[], b: number[], left: (a: number) => string, right: (b: number) => string, indent: string) =>
  a.map((x) => b.map((y) => `acc${x}${y} += ${left(x)} * ${right(y)};`).join(' ')).join(`\n${indent}`);
