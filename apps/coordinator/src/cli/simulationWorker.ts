import { parentPort } from 'node:worker_threads';
import { DeviceSession } from '@flock/fl-core/device';
import { chooseNodeBackend, InProcessTrainer, MemoryShards, nodeAdapters } from '@flock/fl-core/node';
import type { PoolToWorker, WorkerToPool } from './poolMessages.ts';

/**
 * One thread of the simulation's pool: runs its share of the virtual devices, each a full
 * DeviceSession with its own socket and shard; they share this thread's tfjs and one trainer,
 * which trains one selected device at a time.
 */
const port = parentPort!;
const sessions: DeviceSession[] = [];
let trainer: InProcessTrainer | null = null;

function post(msg: WorkerToPool): void {
  port.postMessage(msg);
}

port.on('message', (msg: PoolToWorker) => {
  if (msg.type === 'stop') {
    for (const s of sessions) s.close();
    trainer?.dispose();
    post({ type: 'stopped' });
    return;
  }
  chooseNodeBackend(msg.backend)
    .then((choice) => {
      const shards = new MemoryShards(msg.serverUrl);
      trainer = new InProcessTrainer((shardId) => shards.get(shardId));
      for (const deviceId of msg.deviceIds) {
        const identity = { deviceId, federationId: msg.federationId, backend: choice.backend, adapter: choice.adapter };
        const session = new DeviceSession(identity, nodeAdapters(msg.serverUrl, shards, trainer), (view) => {
          if (view.state === 'error' && view.detail) post({ type: 'error', message: `${deviceId}: ${view.detail}` });
        });
        sessions.push(session);
        session.start();
      }
      post({ type: 'ready', ...choice });
    })
    .catch((err: unknown) => post({ type: 'error', message: err instanceof Error ? err.message : String(err) }));
});
