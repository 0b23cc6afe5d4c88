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
