import { Worker } from 'node:worker_threads';
import type { NodeBackend, NodeBackendChoice } from '@flock/fl-core/node';
import type { PoolToWorker, WorkerToPool } from './poolMessages.ts';

/**
 * Virtual devices spread over `threads` worker threads (round-robin), so the selected devices of
 * a round train in parallel on the machine's cores.
 */
export class DevicePool {
  private constructor(private readonly workers: Worker[]) {}

  static async start(options: {
    serverUrl: string;
    federationId: string;
    deviceIds: string[];
    threads: number;
    backend?: NodeBackend;
    onError: (message: string) => void;
  }): Promise<{ pool: DevicePool; backend: NodeBackendChoice }> {
    const threads = Math.max(1, Math.min(options.threads, options.deviceIds.length));
    const workers: Worker[] = [];
    const ready: Promise<NodeBackendChoice>[] = [];
    for (let t = 0; t < threads; t++) {
      const worker = new Worker(new URL('./simulationWorker.mjs', import.meta.url));
      workers.push(worker);
      ready.push(
        new Promise((resolve, reject) => {
          worker.on('error', reject);
          worker.on('message', (msg: WorkerToPool) => {
            if (msg.type === 'ready') resolve(msg);
            else if (msg.type === 'error') options.onError(msg.message);
          });
        }),
      );
      const start: PoolToWorker = {
        type: 'start',
        serverUrl: options.serverUrl,
        federationId: options.federationId,
        deviceIds: options.deviceIds.filter((_, i) => i % threads === t),
        ...(options.backend ? { backend: options.backend } : {}),
      };
      worker.postMessage(start);
    }
    const pool = new DevicePool(workers);
    try {
      const choices = await Promise.all(ready);
      return { pool, backend: choices[0]! };
    } catch (err) {
      await pool.close();
      throw err;
    }
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
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
