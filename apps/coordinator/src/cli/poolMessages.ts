import type { NodeBackend, NodeBackendChoice } from '@flock/fl-core/node';

/** Messages between the simulation's main thread and its device threads. */
export interface PoolStart {
  type: 'start';
  serverUrl: string;
  federationId: string;
  deviceIds: string[];
  backend?: NodeBackend;
}

export type PoolToWorker = PoolStart | { type: 'stop' };

export type WorkerToPool =
  | ({ type: 'ready' } & NodeBackendChoice)
  | { type: 'stopped' }
  | { type: 'error'; message: string };
