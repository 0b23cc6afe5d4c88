import type { NodeBackend, NodeBackendChoice } from '@flock/fl-core/node';
import type { ByzantineMode } from './byzantine.ts';
import type { DeviceBehaviour } from './deviceBehaviour.ts';

/** Messages between the simulation's main thread and its device threads. */

/** Sets up the thread's tfjs backend; the thread answers `ready` with what it chose. */
export interface PoolInit {
  type: 'init';
  backend?: NodeBackend;
  /** Let tfjs and Dawn print their notes and warnings (flockctl --verbose). */
  verbose: boolean;
}

/** Starts the thread's share of the virtual devices. */
export interface PoolDevices {
  type: 'devices';
  serverUrl: string;
  federationId: string;
  deviceIds: string[];
  /** Those of `deviceIds` that train `behaviour.slowFactor` times slower. */
  slowDeviceIds: string[];
  behaviour: DeviceBehaviour;
  /** Those of `deviceIds` that corrupt their updates, and how. */
  byzantine?: { mode: ByzantineMode; deviceIds: string[] };
}

export type PoolToWorker = PoolInit | PoolDevices | { type: 'stop' };

export type WorkerToPool =
  | ({ type: 'ready' } & NodeBackendChoice)
  | { type: 'stopped' }
  | { type: 'error'; message: string }
  /** A device disconnected mid-round without uploading (a simulated dropout). */
  | { type: 'dropped'; deviceId: string; round: number };
