/// <reference types="@webgpu/types" />

/** Dispatches and submits made on a device since `countDispatches` started counting. */
export interface DispatchCount {
  readonly dispatches: number;
  readonly submits: number;
  /** Puts the device's own methods back. */
  stop(): void;
}

/**
 * Counts every compute dispatch recorded on `device` (whoever records it: tfjs's backend or the WGSL
 * engine) by wrapping its command encoders' compute passes, and every queue submit. The same
 * counting for both engines, so the benchmark compares like with like.
 */
export function countDispatches(device: GPUDevice): DispatchCount {
  const counts = { dispatches: 0, submits: 0 };
  const createCommandEncoder = device.createCommandEncoder;
  const submit = device.queue.submit;
  device.createCommandEncoder = function (this: GPUDevice, descriptor?: GPUCommandEncoderDescriptor) {
    const encoder = createCommandEncoder.call(this, descriptor);
    const beginComputePass = encoder.beginComputePass;
    encoder.beginComputePass = function (this: GPUCommandEncoder, passDescriptor?: GPUComputePassDescriptor) {
      const pass = beginComputePass.call(this, passDescriptor);
      const dispatch = pass.dispatchWorkgroups;
      const dispatchIndirect = pass.dispatchWorkgroupsIndirect;
      pass.dispatchWorkgroups = function (this: GPUComputePassEncoder, x: number, y?: number, z?: number) {
        counts.dispatches++;
        dispatch.call(this, x, y, z);
      };
      pass.dispatchWorkgroupsIndirect = function (this: GPUComputePassEncoder, buffer: GPUBuffer, offset: number) {
        counts.dispatches++;
        dispatchIndirect.call(this, buffer, offset);
      };
      return pass;
    };
    return encoder;
  };
  device.queue.submit = function (this: GPUQueue, buffers: Iterable<GPUCommandBuffer>) {
    counts.submits++;
    submit.call(this, buffers);
  };
  return {
    get dispatches() {
      return counts.dispatches;
    },
    get submits() {
      return counts.submits;
    },
    stop: () => {
      // The wrappers are own properties shadowing the prototype's methods: removing them restores those.
      Reflect.deleteProperty(device, 'createCommandEncoder');
      Reflect.deleteProperty(device.queue, 'submit');
    },
  };
}
