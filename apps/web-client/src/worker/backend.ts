import * as tf from '@tensorflow/tfjs';
// Registers the `webgpu` backend, but only where `navigator.gpu` exists when this module loads.
import '@tensorflow/tfjs-backend-webgpu';
import './wasmBackend.ts';
import type { AdapterInfo } from '@flock/fl-core/protocol';
import type { ModelRef } from '@flock/fl-core';
import type { DeviceStore } from '../storage/deviceStore.ts';
import { isDenseModel, measureTrainingSpeed } from './backendSpeed.ts';
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
 * A forced backend (`?backend=`) is tried first, then the others, and the first that really starts
 * wins. Otherwise the choice remembered for `model` (the federation's) on this device is used, or, on
 * first use, a few training steps of `model` are timed on every backend that starts (wasm only for a
 * dense model) and the fastest wins (and is
 * remembered). `setBackend` returns false instead of throwing when a backend cannot start, so the
 * boolean is checked every time.
 */
export async function chooseBackend(model: ModelRef, store: DeviceStore, forced?: ClientBackend): Promise<BackendChoice> {
  if (forced) return firstThatStarts([forced, ...CLIENT_BACKENDS.filter((b) => b !== forced)], forced);
  const remembered = await store.backendChoice(model);
  const known = CLIENT_BACKENDS.find((b) => b === remembered?.backend);
  if (remembered && known) {
    const attempt = await tryBackend(known);
    if (attempt.ok) return { backend: known, adapter: attempt.adapter, reason: `remembered: ${remembered.reason}` };
  }
  const choice = await fastest(model);
  await store.putBackendChoice({ model, backend: choice.backend, reason: choice.reason, measuredAt: new Date().toISOString() });
  return choice;
}

async function firstThatStarts(order: ClientBackend[], forced: ClientBackend): Promise<BackendChoice> {
  const failures: string[] = [];
  for (const backend of order) {
    const attempt = await tryBackend(backend);
    if (attempt.ok) {
      const head = backend === forced ? `forced by ?backend=${backend}` : `fallback from forced ${forced}`;
      return { backend, adapter: attempt.adapter, reason: failures.length ? `${head} (${failures.join('; ')})` : head };
    }
    failures.push(`${backend}: ${attempt.reason}`);
  }
  throw new Error(`no tfjs backend could start (${failures.join('; ')})`);
}

/** Times `model` on each backend that starts and switches to the fastest. */
async function fastest(model: ModelRef): Promise<BackendChoice> {
  const measured: { backend: ClientBackend; adapter: AdapterInfo | null; speed: number }[] = [];
  const notes: string[] = [];
  for (const backend of CLIENT_BACKENDS) {
    const attempt = await tryBackend(backend);
    if (!attempt.ok) {
      notes.push(`${backend}: ${attempt.reason}`);
      continue;
    }
    if (backend === 'wasm' && !(await isDenseModel(model))) {
      notes.push('wasm: not timed (its convolutions cannot train)');
      continue;
    }
    try {
      measured.push({ backend, adapter: attempt.adapter, speed: await measureTrainingSpeed(model) });
    } catch (err) {
      notes.push(`${backend}: training failed (${err instanceof Error ? err.message : String(err)})`);
    }
  }
  const best = measured.reduce<(typeof measured)[number] | null>((a, b) => (a && a.speed >= b.speed ? a : b), null);
  if (!best) throw new Error(`no tfjs backend could train (${notes.join('; ')})`);
  await tryBackend(best.backend);
  const speeds = measured.map((m) => `${m.backend} ${Math.round(m.speed)}`).join(', ');
  const reason = `fastest for ${model}: measured samples/s ${speeds}${notes.length ? ` (${notes.join('; ')})` : ''}`;
  return { backend: best.backend, adapter: best.adapter, reason };
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
  if (!adapter) return { ok: false, reason: 'requestAdapter() returned null (no WebGPU adapter)' };
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
