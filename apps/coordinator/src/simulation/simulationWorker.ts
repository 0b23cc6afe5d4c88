import { parentPort } from 'node:worker_threads';
import { DeviceSession, type DeviceSocket } from '@flock/fl-core/device';
import { chooseNodeBackend, MemoryShards, nodeAdapters, type NodeBackendChoice } from '@flock/fl-core/node';
import { drawDropout, RoundProgress } from './deviceBehaviour.ts';
import type { PoolDevices, PoolToWorker, WorkerToPool } from './poolMessages.ts';
import { DROPPED_OUT, SimulatedDeviceTrainer, sleep, ThreadTrainer } from './simulatedTrainer.ts';

/**
 * One thread of the simulation's pool: runs its share of the virtual devices, each a full
 * DeviceSession with its own socket and shard; they share this thread's tfjs and one trainer,
 * which trains one selected device at a time.
 */
const port = parentPort!;
const sessions: DeviceSession[] = [];
const progress = new RoundProgress();
/** How many times the masked-input stage asked each device, by `deviceId/round`: a redone round asks again. */
const maskedInputAsks = new Map<string, number>();
let threadTrainer: ThreadTrainer | null = null;
let backend: NodeBackendChoice | null = null;
let stopped = false;

/** A device that dropped out of a synchronous round waits at most this long for the round to close. */
const MAX_WAIT_FOR_ROUND_MS = 60_000;

function post(msg: WorkerToPool): void {
  port.postMessage(msg);
}

port.on('message', (msg: PoolToWorker) => {
  switch (msg.type) {
    case 'init':
      chooseNodeBackend(msg.backend, { verbose: msg.verbose })
        .then((choice) => {
          backend = choice;
          post({ type: 'ready', ...choice });
        })
        .catch((err: unknown) => post({ type: 'error', message: err instanceof Error ? err.message : String(err) }));
      break;
    case 'devices':
      startDevices(msg);
      break;
    case 'stop':
      stopped = true;
      for (const s of sessions) s.close();
      threadTrainer?.dispose();
      post({ type: 'stopped' });
      break;
    default: {
      const unknown: never = msg;
      throw new Error(`unknown pool message ${JSON.stringify(unknown)}`);
    }
  }
});

function startDevices(msg: PoolDevices): void {
  if (!backend) throw new Error('devices before init: the thread has no tfjs backend yet');
  const { backend: name, adapter } = backend;
  const shards = new MemoryShards(msg.serverUrl);
  const thread = (threadTrainer = new ThreadTrainer((shardId) => shards.get(shardId)));
  const slow = new Set(msg.slowDeviceIds);
  const byzantine = new Set(msg.byzantine?.deviceIds);
  for (const deviceId of msg.deviceIds) {
    let socket: DeviceSocket | null = null;
    const trainer = new SimulatedDeviceTrainer(
      deviceId,
      thread,
      msg.behaviour,
      slow.has(deviceId),
      {
        dropOut(round, pauseMs) {
          const s = socket;
          if (!s) return;
          // A client-side disconnect: the session does not reconnect by itself; we bring it back below.
          s.disconnect();
          post({ type: 'dropped', deviceId, round });
          void comeBack(s, round, pauseMs, msg.behaviour.comeBack);
        },
      },
      byzantine.has(deviceId) ? msg.byzantine!.mode : null,
    );
    const adapters = nodeAdapters(msg.serverUrl, shards, trainer);
    // The same connection, kept at hand so that a dropout can cut it.
    const connect = () => {
      const s = (socket = adapters.connect());
      // Registered before the session's own listener, so the device is gone before it answers.
      s.on('secagg:request', (raw) => dropBeforeMasking(s, deviceId, raw, msg.behaviour));
      s.on('round:abandoned', (raw) => abandonedRound(raw));
      return s;
    };
    const identity = { deviceId, federationId: msg.federationId, backend: name, adapter, platform: 'node' as const };
    const session = new DeviceSession(identity, { ...adapters, connect }, (view) => {
      progress.observe(view.federation);
      if (view.state === 'error' && view.detail && !view.detail.includes(DROPPED_OUT)) post({ type: 'error', message: `${deviceId}: ${view.detail}` });
    });
    sessions.push(session);
    session.start();
  }
}

/** --secagg-dropout: when the masked-input stage asks, a device whose draw says so leaves (its keys were shared) and comes back once that attempt at the round ended. */
function dropBeforeMasking(socket: DeviceSocket, deviceId: string, raw: unknown, behaviour: PoolDevices['behaviour']): void {
  const request = raw as { stage?: unknown; request?: { round?: unknown } } | null;
  const round = request?.request?.round;
  if (request?.stage !== 'masked-input' || typeof round !== 'number') return;
  // A round abandoned below the threshold is redone under the same number: each attempt draws afresh, or the same devices would leave it every time.
  const key = `${deviceId}/${round}`;
  const attempt = maskedInputAsks.get(key) ?? 0;
  maskedInputAsks.set(key, attempt + 1);
  const draw = drawDropout(behaviour.seed, deviceId, round, attempt, behaviour.secaggDropout ?? 0, 'secagg-dropout');
  if (!draw.drop) return;
  socket.disconnect();
  post({ type: 'dropped', deviceId, round });
  void comeBack(socket, round, draw.pauseMs, behaviour.comeBack);
}

function abandonedRound(raw: unknown): void {
  const round = (raw as { round?: unknown } | null)?.round;
  if (typeof round === 'number') progress.abandoned(round, Date.now());
}

async function comeBack(socket: DeviceSocket, round: number, pauseMs: number, when: PoolDevices['behaviour']['comeBack']): Promise<void> {
  if (when === 'after-round') {
    const left = Date.now();
    const giveUp = left + MAX_WAIT_FOR_ROUND_MS;
    while (!progress.attemptEnded(round, left) && Date.now() < giveUp && !stopped) await sleep(100);
  }
  await sleep(pauseMs);
  if (!stopped) socket.connect();
}
