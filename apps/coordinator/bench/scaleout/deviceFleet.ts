// Child process of the scaleout bench: drives light devices of one federation (each join command adds `from`..`to - 1`), device i
// connected directly to coordinator i % urls.length, so the parent's measurements are not skewed by this
// process's event loop. Speaks over IPC (FleetCommand in, FleetReport out) and exits when the parent disconnects.
import { LightDevice, type DeltaOf } from '../../src/testing/lightDevices.ts';

export type FleetCommand =
  | { kind: 'join'; urls: string[]; federationId: string; from: number; to: number }
  /** Coordinator `dead` was killed: its devices reconnect to the others, as a balancer would send them. */
  | { kind: 'move'; dead: number }
  | { kind: 'tally' };

export type FleetReport =
  /** A join command's devices are connected; `joined` counts all this process's devices so far. */
  | { kind: 'joined'; joined: number; seconds: number; rssBytes: number }
  | { kind: 'failed'; reason: string }
  /** The first round:start of `round` this process heard, at `at` (ms since the epoch). */
  | { kind: 'round'; round: number; at: number }
  /** Updates the coordinators acknowledged and what they refused (hellos or updates), with the first reason. */
  | { kind: 'tally'; acknowledged: number; refusals: number; firstRefusal: string | null };

const CONCURRENT_JOINS = 50;
const delta: DeltaOf = (round, size) => new Float32Array(size).fill(round * 1e-4);

const devices: { device: LightDevice; coordinator: number }[] = [];
const heard = new Set<number>();
let urls: string[] = [];

const send = (report: FleetReport) => process.send!(report);

process.on('message', (command: FleetCommand) => {
  if (command.kind === 'join') void join(command).catch((err: unknown) => send({ kind: 'failed', reason: String(err) }));
  else if (command.kind === 'move') move(command.dead);
  else tally();
});
process.once('disconnect', () => {
  for (const { device } of devices) device.close();
  process.exit(0);
});

async function join({ urls: given, federationId, from, to }: Extract<FleetCommand, { kind: 'join' }>): Promise<void> {
  urls = given;
  const started = Date.now();
  let next = from;
  await Promise.all(
    Array.from({ length: Math.min(CONCURRENT_JOINS, to - from) }, async () => {
      while (next < to) {
        const i = next++;
        const coordinator = i % urls.length;
        const device = await LightDevice.join(urls[coordinator]!, {
          federationId,
          deviceId: `scaleout-${String(i).padStart(5, '0')}`,
          examples: 10,
          delta,
          answerAfterMs: 0,
        });
        device.socket.on('round:start', (msg: { round: number }) => {
          if (heard.has(msg.round)) return;
          heard.add(msg.round);
          send({ kind: 'round', round: msg.round, at: Date.now() });
        });
        devices.push({ device, coordinator });
      }
    }),
  );
  send({ kind: 'joined', joined: devices.length, seconds: (Date.now() - started) / 1000, rssBytes: process.memoryUsage.rss() });
}

function move(dead: number): void {
  const survivors = urls.filter((_, i) => i !== dead);
  let n = 0;
  for (const entry of devices) {
    if (entry.coordinator !== dead) continue;
    // The Socket.IO manager reconnects to its `uri`, private in the typings: pointing it at a survivor is what a
    // balancer in front would do with the reconnect; LightDevice keeps its credential, so the hello is the same device's.
    (entry.device.socket.io as unknown as { uri: string }).uri = survivors[n++ % survivors.length]!;
  }
}

function tally(): void {
  const refusals = devices.flatMap(({ device }) => device.refusals);
  const acknowledged = devices.reduce((sum, { device }) => sum + device.acknowledged.size, 0);
  send({ kind: 'tally', acknowledged, refusals: refusals.length, firstRefusal: refusals[0] ?? null });
}
