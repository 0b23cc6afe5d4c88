import * as tf from '@tensorflow/tfjs';
// Registers the `webgpu` backend, but only where `navigator.gpu` exists when this module loads.
import '@tensorflow/tfjs-backend-webgpu';
import './wasmBackend.ts';
import type { AdapterInfo } from '@flock/fl-core/protocol';
import type { ModelRef } from '@flock/fl-core';
import type { DeviceStore } from '../storage/deviceStore.ts';
import { isDenseModel, measureTrainingSpeed, trainingEngineOf } from './backendSpeed.ts';
import { CLIENT_BACKENDS, type BackendChoice, type ClientBackend } from './workerMessages.ts';

/** The slice of the WebGPU API used here (TypeScript's DOM library does not declare it). */
interface GpuAdapterLike {
  info?: { vendor?: string; architecture?: string };
}
interface GpuLike {
  requestAdapter(): Promise<GpuAdapterLike | null>;
}

type Attempt = { ok: true; adapter: AdapterInfo | null } | { ok: false; reason: string };
type TfjsBackendChoice = Omit<BackendChoice, 'engine'>;

/** Called as the chooser starts timing each backend. */
export type OnMeasuring = (backend: ClientBackend, candidates: readonly ClientBackend[]) => void;

/**
 * A forced backend (`?backend=`) is tried first, then the others, and the first that really starts
 * wins. Otherwise the choice remembered for `model` (the federation's) on this device is used, or, on
 * first use, a few training steps of `model` are timed on every backend that starts (wasm only for a
 * dense model) and the fastest wins (and is remembered). `setBackend` returns false instead of
 * throwing when a backend cannot start, so the boolean is checked every time. Every reason is worded
 * for the person at the device, and so is the choice of loop on the backend chosen (Flock's WebGPU engine or the tfjs loop).
 */
export async function chooseBackend(model: ModelRef, store: DeviceStore, forced: ClientBackend | undefined, onMeasuring: OnMeasuring): Promise<BackendChoice> {
  const choice = await chooseTfjsBackend(model, store, forced, onMeasuring);
  return { ...choice, engine: await trainingEngineOf(model) };
}

async function chooseTfjsBackend(model: ModelRef, store: DeviceStore, forced: ClientBackend | undefined, onMeasuring: OnMeasuring): Promise<TfjsBackendChoice> {
  if (forced) return firstThatStarts([forced, ...CLIENT_BACKENDS.filter((b) => b !== forced)], forced);
  const remembered = await store.backendChoice(model);
  const known = CLIENT_BACKENDS.find((b) => b === remembered?.backend);
  if (remembered && known) {
    const attempt = await tryBackend(known);
    if (attempt.ok) return { backend: known, adapter: attempt.adapter, reason: `remembered from an earlier measurement: ${remembered.reason}` };
  }
  const choice = await fastest(model, onMeasuring);
  await store.putBackendChoice({ model, backend: choice.backend, reason: choice.reason, measuredAt: new Date().toISOString() });
  return choice;
}

async function firstThatStarts(order: ClientBackend[], forced: ClientBackend): Promise<TfjsBackendChoice> {
  const failures: string[] = [];
  for (const backend of order) {
    const attempt = await tryBackend(backend);
    if (attempt.ok) {
      const reason =
        backend === forced
          ? `asked for with ?backend=${forced}`
          : `?backend=${forced} asked for ${forced}, but ${failures.join('; ')}; ${backend} is the first that started`;
      return { backend, adapter: attempt.adapter, reason };
    }
    failures.push(didNotStart(backend, attempt.reason));
  }
  throw new Error(`no training engine could start in this browser: ${failures.join('; ')}. Try another browser, or one with WebGPU or WebGL turned on`);
}

/** Times `model` on each backend that starts and switches to the fastest. */
async function fastest(model: ModelRef, onMeasuring: OnMeasuring): Promise<TfjsBackendChoice> {
  const measured: { backend: ClientBackend; adapter: AdapterInfo | null; speed: number }[] = [];
  const notes: string[] = [];
  for (const backend of CLIENT_BACKENDS) {
    onMeasuring(backend, CLIENT_BACKENDS);
    const attempt = await tryBackend(backend);
    if (!attempt.ok) {
      notes.push(didNotStart(backend, attempt.reason));
      continue;
    }
    if (backend === 'wasm' && !(await isDenseModel(model))) {
      notes.push("wasm not measured (it cannot train this model's convolutions)");
      continue;
    }
    try {
      measured.push({ backend, adapter: attempt.adapter, speed: await measureTrainingSpeed(model) });
    } catch (err) {
      notes.push(`${backend} started but could not train (${errorText(err)})`);
    }
  }
  const best = measured.reduce<(typeof measured)[number] | null>((a, b) => (a && a.speed >= b.speed ? a : b), null);
  if (!best) throw new Error(`no training engine could train in this browser: ${notes.join('; ')}. Try another browser`);
  await tryBackend(best.backend);
  const speeds = measured
    .sort((a, b) => b.speed - a.speed)
    .map((m) => `${m.backend} ${Math.round(m.speed)}`)
    .join(', ');
  const reason = `fastest for ${model} on this device: ${speeds} examples/s${notes.length ? `; ${notes.join('; ')}` : ''}`;
  return { backend: best.backend, adapter: best.adapter, reason };
}

function didNotStart(backend: ClientBackend, reason: string): string {
  return `${backend} did not start (${reason})`;
}

async function tryBackend(backend: ClientBackend): Promise<Attempt> {
  try {
    if (backend === 'webgpu') return await tryWebGpu();
    if (!(await tf.setBackend(backend))) return { ok: false, reason: 'this browser could not run it' };
    await tf.ready();
    return { ok: true, adapter: null };
  } catch (err) {
    return { ok: false, reason: errorText(err) };
  }
}

async function tryWebGpu(): Promise<Attempt> {
  const gpu = (self.navigator as unknown as { gpu?: GpuLike }).gpu;
  if (!gpu) return { ok: false, reason: 'this browser offers no WebGPU' };
  const adapter = await gpu.requestAdapter();
  if (!adapter) return { ok: false, reason: 'WebGPU found no graphics adapter' };
  if (!tf.findBackendFactory('webgpu')) return { ok: false, reason: 'this page was built without it' };
  if (!(await tf.setBackend('webgpu'))) return { ok: false, reason: 'this browser could not run it' };
  await tf.ready();
  const info = adapter.info;
  return {
    ok: true,
    adapter: info ? { vendor: info.vendor ?? '', architecture: info.architecture ?? '' } : null,
  };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
