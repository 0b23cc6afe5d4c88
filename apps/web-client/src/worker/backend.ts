import * as tf from '@tensorflow/tfjs';
// Registers the `webgpu` backend, but only where `navigator.gpu` exists when this module loads.
import '@tensorflow/tfjs-backend-webgpu';
import type { AdapterInfo } from '@flock/fl-core/protocol';
import { CLIENT_BACKENDS, type BackendChoice, type ClientBackend } from './messages.ts';

/** The slice of the WebGPU API used here (TypeScript's DOM library does not declare it). */
interface GpuAdapterLike {
  info?: { vendor?: string; architecture?: string };
}
interface GpuLike {
  requestAdapter(): Promise<GpuAdapterLike | null>;
}

type Attempt = { ok: true; adapter: AdapterInfo | null } | { ok: false; reason: string };

/**
 * Picks the first backend that really starts: webgpu, then webgl, then cpu. `setBackend` returns
 * false instead of throwing when a backend cannot start, so the boolean is checked every time.
 * A forced backend is tried first; if it fails, the others follow and the reason says so.
 */
export async function chooseBackend(forced?: ClientBackend): Promise<BackendChoice> {
  const order = forced ? [forced, ...CLIENT_BACKENDS.filter((b) => b !== forced)] : [...CLIENT_BACKENDS];
  const failures: string[] = [];
  for (const backend of order) {
    const attempt = await tryBackend(backend);
    if (attempt.ok) {
      return { backend, adapter: attempt.adapter, reason: describeChoice(backend, forced, failures) };
    }
    failures.push(`${backend}: ${attempt.reason}`);
  }
  throw new Error(`no tfjs backend could start (${failures.join('; ')})`);
}

function describeChoice(backend: ClientBackend, forced: ClientBackend | undefined, failures: string[]): string {
  const head =
    forced === backend
      ? `forced by ?backend=${backend}`
      : backend === 'webgpu'
        ? 'WebGPU adapter available'
        : forced
          ? `fallback from forced ${forced}`
          : 'fallback';
  return failures.length ? `${head} (${failures.join('; ')})` : head;
}

async function tryBackend(backend: ClientBackend): Promise<Attempt> {
  try {
    if (backend === 'webgpu') return await tryWebGpu();
    const ok = await tf.setBackend(backend);
    if (!ok) return { ok: false, reason: 'setBackend returned false' };
    await tf.ready();
    return { ok: true, adapter: null };
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  }
}

async function tryWebGpu(): Promise<Attempt> {
  const gpu = (self.navigator as unknown as { gpu?: GpuLike }).gpu;
  if (!gpu) return { ok: false, reason: 'navigator.gpu is missing (WebGPU not enabled in this browser)' };
  const adapter = await gpu.requestAdapter();
  if (!adapter) return { ok: false, reason: 'requestAdapter() returned null' };
  if (!tf.findBackendFactory('webgpu')) return { ok: false, reason: 'the tfjs webgpu backend is not registered' };
  const ok = await tf.setBackend('webgpu');
  if (!ok) return { ok: false, reason: 'setBackend returned false' };
  await tf.ready();
  const info = adapter.info;
  return {
    ok: true,
    adapter: info ? { vendor: info.vendor ?? '', architecture: info.architecture ?? '' } : null,
  };
}
