import type { TrainingEngine } from '@flock/fl-core';
import type { BackendChoice, ClientBackend } from '../worker/workerMessages.ts';

/** Where choosing the training engine (the tfjs backend) stands. */
export type EngineStatus =
  | { phase: 'starting' }
  | { phase: 'measuring'; backend: ClientBackend; candidates: readonly ClientBackend[] }
  | { phase: 'ready'; choice: BackendChoice }
  | { phase: 'failed'; reason: string };

/** What choosing the engine is doing now, or why it failed (the chosen engine has a line of its own). */
export function engineText(engine: Exclude<EngineStatus, { phase: 'ready' }>): string {
  switch (engine.phase) {
    case 'starting':
      return 'Starting the training engine…';
    case 'measuring':
      return `Measuring which engine trains fastest on this device (${engine.candidates.join(', ')}): now ${engine.backend}…`;
    case 'failed':
      return `No training engine could start: ${engine.reason}`;
    default: {
      const unknown: never = engine;
      return unknown;
    }
  }
}

/** Which loop trains on the chosen backend: Flock's WebGPU engine, or TensorFlow.js and why not the engine. */
export function trainingEngineText({ engine, backend, reason }: TrainingEngine): string {
  if (engine === 'wgsl') return "Training on Flock's WebGPU engine.";
  return `Training with TensorFlow.js on ${backend}${reason ? `: ${reason.replace(/\.$/, '')}` : ''}.`;
}

/** What the page says after Join while the engine is still being chosen. */
export function joinPendingText(engine: EngineStatus): string | null {
  switch (engine.phase) {
    case 'starting':
    case 'measuring':
      return 'Joined: this device connects to the federation as soon as it knows which engine trains fastest here (a few seconds, once).';
    case 'failed':
      return 'This device cannot train in this browser, so it cannot take part: try another browser.';
    case 'ready':
      return null;
    default: {
      const unknown: never = engine;
      return unknown;
    }
  }
}
