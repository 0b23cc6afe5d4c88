import * as tf from '@tensorflow/tfjs';
import type { AdapterInfo } from '../protocol/messages.ts';

export const NODE_BACKENDS = ['webgpu', 'cpu'] as const;
export type NodeBackend = (typeof NODE_BACKENDS)[number];

export interface NodeBackendChoice {
  backend: NodeBackend;
  adapter: AdapterInfo | null;
  /** What was tried and why this one, in words. */
  reason: string;
}

interface GpuAdapterLike {
  info?: { vendor?: string; architecture?: string };
}

/**
 * WebGPU through Dawn (the `webgpu` package) when it finds an adapter, else tfjs's cpu kernels. A
 * forced backend that cannot start is an error, not a silent fallback: a benchmark must know what it ran on.
 * Dawn looks for Vulkan drivers through VK_ICD_FILENAMES (the README's `flock simulate` flags name the values).
 */
export async function chooseNodeBackend(forced?: NodeBackend): Promise<NodeBackendChoice> {
  if (forced === 'cpu') return useCpu('forced by --backend cpu');
  const gpu = await tryWebGpu();
  if (gpu.ok) return { backend: 'webgpu', adapter: gpu.adapter, reason: forced ? 'forced by --backend webgpu' : 'WebGPU adapter found (Dawn)' };
  if (forced === 'webgpu') throw new Error(`--backend webgpu cannot start: ${gpu.reason}`);
  return useCpu(`fallback (webgpu: ${gpu.reason})`);
}

async function useCpu(reason: string): Promise<NodeBackendChoice> {
  if (!(await tf.setBackend('cpu'))) throw new Error('the tfjs cpu backend did not start');
  await tf.ready();
  return { backend: 'cpu', adapter: null, reason };
}

async function tryWebGpu(): Promise<{ ok: true; adapter: AdapterInfo | null } | { ok: false; reason: string }> {
  try {
    const dawn = (await import('webgpu')) as unknown as { create(flags: string[]): unknown; globals: object };
    Object.assign(globalThis, dawn.globals);
    const gpu = dawn.create([]) as { requestAdapter(): Promise<GpuAdapterLike | null> };
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
    const adapter = await gpu.requestAdapter();
    if (!adapter) return { ok: false, reason: 'Dawn found no adapter (no Vulkan driver; set VK_ICD_FILENAMES)' };
    // Registers the backend only now that navigator.gpu exists.
    await import('@tensorflow/tfjs-backend-webgpu');
    if (!(await tf.setBackend('webgpu'))) return { ok: false, reason: 'setBackend(webgpu) returned false' };
    await tf.ready();
    const info = adapter.info;
    return { ok: true, adapter: info ? { vendor: info.vendor ?? '', architecture: info.architecture ?? '' } : null };
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  }
}
