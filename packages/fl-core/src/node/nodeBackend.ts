import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { AdapterInfo } from '../protocol/device.ts';

export const NODE_BACKENDS = ['webgpu', 'cpu'] as const;
export type NodeBackend = (typeof NODE_BACKENDS)[number];

export interface NodeBackendChoice {
  backend: NodeBackend;
  adapter: AdapterInfo | null;
  /** What was tried and why this one, in words. */
  reason: string;
}

export interface NodeBackendOptions {
  /**
   * false (the default): tfjs's notes (its "install tfjs-node" banner, once per thread) stay unsaid, and
   * Dawn is not tried where no Vulkan loader is installed, since it then prints a warning of its own.
   */
  verbose?: boolean;
}

interface GpuAdapterLike {
  info?: { vendor?: string; architecture?: string };
}

/**
 * WebGPU through Dawn (the `webgpu` package) when it finds an adapter, else tfjs's cpu kernels. A
 * forced backend that cannot start is an error, not a silent fallback: a benchmark must know what it ran on.
 * Dawn looks for Vulkan drivers through VK_ICD_FILENAMES (the README's `flockctl simulate` flags name the values).
 */
export async function chooseNodeBackend(forced?: NodeBackend, { verbose = false }: NodeBackendOptions = {}): Promise<NodeBackendChoice> {
  // PROD mutes tfjs's console notes and nothing else (tfjs-core log.ts).
  tf.env().set('PROD', !verbose);
  if (forced === 'cpu') return useCpu('forced by --backend cpu');
  const gpu =
    !verbose && !vulkanLoaderInstalled()
      ? { ok: false as const, reason: 'no Vulkan loader (libvulkan.so.1) is installed; --verbose tries Dawn anyway' }
      : await tryWebGpu();
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

/** Where Dawn runs on Vulkan (Linux): whether the dynamic loader can find libvulkan.so.1 (LD_LIBRARY_PATH or ld.so's cache). */
function vulkanLoaderInstalled(): boolean {
  if (process.platform !== 'linux') return true;
  const LOADER = 'libvulkan.so.1';
  const dirs = (process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  if (dirs.some((dir) => existsSync(join(dir, LOADER)))) return true;
  try {
    return readFileSync('/etc/ld.so.cache').includes(LOADER);
  } catch {
    // No cache to read (another libc): let Dawn look for itself.
    return true;
  }
}
