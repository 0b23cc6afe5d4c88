/// <reference types="@webgpu/types" />

/**
 * The per-step values every kernel reads, one 256-byte slot per step of a submit in one uniform
 * buffer (bound with a dynamic offset): the batch's first position in the epoch's order, its rows,
 * the step's number (dropout masks), the dropout seed, the learning rate, FedProx's mu and Adam's
 * two bias corrections 1/(1 - beta^t).
 */
export const STEP_WGSL = 'struct Step { offset: u32, rows: u32, step: u32, seed: u32, lr: f32, mu: f32, c1: f32, c2: f32 }';
export const STEP_BYTES = 32;

export interface StepValues {
  offset: number;
  rows: number;
  step: number;
  seed: number;
  lr: number;
  mu: number;
  c1: number;
  c2: number;
}

export function writeStep(view: DataView, at: number, s: StepValues): void {
  view.setUint32(at, s.offset, true);
  view.setUint32(at + 4, s.rows, true);
  view.setUint32(at + 8, s.step, true);
  view.setUint32(at + 12, s.seed, true);
  view.setFloat32(at + 16, s.lr, true);
  view.setFloat32(at + 20, s.mu, true);
  view.setFloat32(at + 24, s.c1, true);
  view.setFloat32(at + 28, s.c2, true);
}

/** A storage buffer a kernel reads or writes, declared in WGSL under `name`. */
export interface StorageBinding {
  name: string;
  buffer: GPUBuffer;
  access: 'read' | 'read_write';
  element?: 'f32' | 'u32';
}

/** One recorded dispatch: replayed every step with that step's uniform slot. */
export interface Dispatch {
  label: string;
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  workgroups: [number, number];
}

/** The body of a kernel: `prelude` holds declarations; `body` runs per thread with `i` (flat index), `wg` (flat workgroup index) and `lid`. */
export interface KernelSource {
  prelude?: string;
  body: string;
  threads: number;
  workgroupSize?: number;
}

const MAX_WORKGROUPS_PER_DIMENSION = 65_535;

/** Workgroups for `threads` threads, folded into a second dimension past the per-dimension limit. */
export function grid(threads: number, workgroupSize: number): [number, number] {
  const groups = Math.max(1, Math.ceil(threads / workgroupSize));
  if (groups <= MAX_WORKGROUPS_PER_DIMENSION) return [groups, 1];
  const rows = Math.ceil(groups / MAX_WORKGROUPS_PER_DIMENSION);
  return [Math.ceil(groups / rows), rows];
}

/**
 * Compiles a kernel into a dispatch bound to its buffers once: binding 0 is the step uniform (a
 * dynamic offset picks the step), then `bindings` in order. Everything here is made once per model
 * and batch size, never per step.
 */
export function compileDispatch(device: GPUDevice, uniform: GPUBuffer, label: string, bindings: StorageBinding[], source: KernelSource): Dispatch {
  const size = source.workgroupSize ?? 64;
  const declarations = bindings.map((b, i) => `@group(0) @binding(${i + 1}) var<storage, ${b.access}> ${b.name}: array<${b.element ?? 'f32'}>;`);
  const code = [
    STEP_WGSL,
    '@group(0) @binding(0) var<uniform> u: Step;',
    ...declarations,
    `const WG = ${size}u;`,
    source.prelude ?? '',
    `@compute @workgroup_size(${size})`,
    'fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {',
    '  let wg = wid.y * nwg.x + wid.x;',
    '  let i = wg * WG + lid;',
    source.body,
    '}',
  ].join('\n');
  const layout = device.createBindGroupLayout({
    label,
    entries: [
      { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: true, minBindingSize: STEP_BYTES } },
      ...bindings.map((b, i) => ({
        binding: i + 1,
        visibility: GPUShaderStage.COMPUTE,
        buffer: { type: b.access === 'read' ? ('read-only-storage' as const) : ('storage' as const) },
      })),
    ],
  });
  const pipeline = device.createComputePipeline({
    label,
    layout: device.createPipelineLayout({ label, bindGroupLayouts: [layout] }),
    compute: { module: device.createShaderModule({ label, code }), entryPoint: 'main' },
  });
  const bindGroup = device.createBindGroup({
    label,
    layout,
    entries: [{ binding: 0, resource: { buffer: uniform, size: STEP_BYTES } }, ...bindings.map((b, i) => ({ binding: i + 1, resource: { buffer: b.buffer } }))],
  });
  return { label, pipeline, bindGroup, workgroups: grid(source.threads, size) };
}

/** Records `dispatches` for each step slot of a submit into one compute pass. */
export function encodeSteps(pass: GPUComputePassEncoder, dispatches: readonly Dispatch[], steps: number, stepStride: number): void {
  for (let s = 0; s < steps; s++) {
    const offsets = [s * stepStride];
    for (const d of dispatches) {
      pass.setPipeline(d.pipeline);
      pass.setBindGroup(0, d.bindGroup, offsets);
      pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1]);
    }
  }
}
