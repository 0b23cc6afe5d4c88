import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { NodeBackend, NodeBackendChoice } from '@flock/fl-core/node';
import type { ByzantineMode } from './byzantine.ts';
import type { DeviceBehaviour } from './deviceBehaviour.ts';
import type { PoolToWorker, WorkerToPool } from './poolMessages.ts';

/**
 * Without --threads, WebGPU devices share one thread: each thread opens its own Dawn device, and on an
 * H100 16 of them hung in the first round, and later 4 as well (1 trained the CNN at 33-40 s a round).
 * The GPU runs every thread's kernels anyway, so more threads buy little.
 */
export const WEBGPU_DEFAULT_MAX_THREADS = 1;

export interface DevicePoolOptions {
  /** Absent: one per core, at most WEBGPU_DEFAULT_MAX_THREADS on webgpu; never more than `devices`. */
  threads?: number;
  devices: number;
  backend?: NodeBackend;
  /** Let tfjs and Dawn print their notes and warnings in every thread. */
  verbose: boolean;
}

export interface DeviceFleet {
  serverUrl: string;
  federationId: string;
  deviceIds: string[];
  behaviour: DeviceBehaviour;
  slowDeviceIds: ReadonlySet<string>;
  byzantine?: { mode: ByzantineMode; deviceIds: ReadonlySet<string> };
  onError: (message: string) => void;
  onDropped: (deviceId: string, round: number) => void;
}

/** The default thread count for a backend. */
export function defaultThreads(backend: NodeBackend, cores = availableParallelism()): number {
  return backend === 'webgpu' ? Math.min(cores, WEBGPU_DEFAULT_MAX_THREADS) : cores;
}

/**
 * Virtual devices spread over worker threads (round-robin), so the selected devices of a round
 * train in parallel on the machine's cores. The threads start (and load tfjs) before the devices
 * are known, so a simulation can start them while its coordinator starts.
 */
export class DevicePool {
  private constructor(
    private readonly workers: Worker[],
    readonly backend: NodeBackendChoice,
  ) {}

  get threads(): number {
    return this.workers.length;
  }

  static async start(options: DevicePoolOptions): Promise<DevicePool> {
    const most = Math.max(1, options.devices);
    const workers: Worker[] = [];
    const spawn = (backend: NodeBackend | undefined) => {
      const worker = new Worker(new URL('./simulationWorker.mjs', import.meta.url));
      workers.push(worker);
      const ready = new Promise<NodeBackendChoice>((resolve, reject) => {
        worker.on('error', reject);
        worker.on('message', (msg: WorkerToPool) => {
          if (msg.type === 'ready') resolve(msg);
          else if (msg.type === 'error') reject(new Error(msg.message));
        });
      });
      worker.postMessage({ type: 'init', verbose: options.verbose, ...(backend ? { backend } : {}) } satisfies PoolToWorker);
      return ready;
    };
    try {
      // The thread count may depend on the backend: without --threads and --backend, the first
      // thread finds out which backend starts, and the others use the same one.
      let backend: NodeBackendChoice;
      let threads: number;
      if (options.threads !== undefined || options.backend !== undefined) {
        threads = options.threads ?? defaultThreads(options.backend!);
        threads = Math.max(1, Math.min(threads, most));
        const choices = await Promise.all(Array.from({ length: threads }, () => spawn(options.backend)));
        backend = choices[0]!;
      } else {
        backend = await spawn(undefined);
        threads = Math.max(1, Math.min(defaultThreads(backend.backend), most));
        await Promise.all(Array.from({ length: threads - 1 }, () => spawn(backend.backend)));
      }
      return new DevicePool(workers, backend);
    } catch (err) {
      await new DevicePool(workers, { backend: 'cpu', adapter: null, reason: 'not started' }).close();
      throw err;
    }
  }

  /** Starts the devices, round-robin over the threads; each connects and says hello on its own. */
  startDevices(fleet: DeviceFleet): void {
    this.workers.forEach((worker, t) => {
      worker.removeAllListeners('error');
      worker.on('error', (err) => fleet.onError(`device thread ${t} failed: ${err.message}`));
      worker.on('message', (msg: WorkerToPool) => {
        if (msg.type === 'error') fleet.onError(msg.message);
        else if (msg.type === 'dropped') fleet.onDropped(msg.deviceId, msg.round);
      });
      const deviceIds = fleet.deviceIds.filter((_, i) => i % this.workers.length === t);
      worker.postMessage({
        type: 'devices',
        serverUrl: fleet.serverUrl,
        federationId: fleet.federationId,
        deviceIds,
        slowDeviceIds: deviceIds.filter((id) => fleet.slowDeviceIds.has(id)),
        behaviour: fleet.behaviour,
        ...(fleet.byzantine ? { byzantine: { mode: fleet.byzantine.mode, deviceIds: deviceIds.filter((id) => fleet.byzantine!.deviceIds.has(id)) } } : {}),
      } satisfies PoolToWorker);
    });
  }

  /** Closes every device's socket, then ends the threads. */
  async close(): Promise<void> {
    await Promise.all(
      this.workers.map(
        (worker) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, 5_000);
            worker.on('message', (msg: WorkerToPool) => {
              if (msg.type !== 'stopped') return;
              clearTimeout(timer);
              resolve();
            });
            worker.postMessage({ type: 'stop' } satisfies PoolToWorker);
          }),
      ),
    );
    // One at a time: several threads tearing down their Dawn devices at once crashed the process
    // (a segmentation fault on an H100 with 4 webgpu threads; 1 thread, or cpu, closed cleanly).
    for (const worker of this.workers) await worker.terminate();
  }
}
