// `npm run bench -- secagg-unmask [--devices 10,100] [--params 1663370] [--dropout 0.1] [--threads 2]`
// The coordinator's unmasking of one SecAgg+ round of n devices (`--dropout` of them drop after sharing keys), side by
// side on the same machine: on the calling thread mask by mask (how it ran before 2026-12-06), on the calling thread
// chunk by chunk (fl-core's default now), and spread over `--threads` of the coordinator's mask threads (MaskWorkers).
// JSON lines: unmaskMs for each, the load beside it. The devices' own work runs here too, untimed; the threads start
// before the timed round.
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { applyMasks, simulateSecAggRound, type MaskSummer } from '@flock/fl-core/secagg';
import { MaskWorkers } from '../src/secagg/maskWorkers.ts';

const { values: args } = parseArgs({
  options: {
    devices: { type: 'string', default: '10,100' },
    params: { type: 'string', default: '1663370' },
    dropout: { type: 'string', default: '0.1' },
    threads: { type: 'string', default: '2' },
  },
});
const list = (text: string) => text.split(',').map(Number);
const dropout = Number(args.dropout);
const workers = new MaskWorkers({ threads: Number(args.threads), minWords: 0 });
const summer = workers.summer((reason) => {
  throw new Error(reason);
});
// How unmasking ran before 2026-12-06: each mask added to the whole vector in turn (the vector passes through memory once per mask).
const maskByMask: MaskSummer = async (masks, length) => {
  const sum = new Uint32Array(length);
  await applyMasks(
    sum,
    masks.map(({ seed, sign }) => ({ seed: async () => seed, sign })),
  );
  return sum;
};
// Starts the threads (and loads their code) before anything is timed, as a running coordinator has after its first round.
await summer(
  [
    { seed: new Uint8Array(32), sign: 1 },
    { seed: new Uint8Array(32).fill(1), sign: 1 },
  ],
  1024,
);

for (const n of list(args.devices))
  for (const params of list(args.params)) {
    const devices = Array.from({ length: n }, (_, i) => ({
      deviceId: `device-${String(i).padStart(5, '0')}`,
      update: Float32Array.from({ length: params }, () => (Math.random() - 0.5) * 0.1),
      weight: 100,
    }));
    const gone = new Set(dropout > 0 ? devices.filter((_, i) => i % Math.round(1 / dropout) === 0).map((d) => d.deviceId) : []);
    for (const [unmaskWith, maskSummer] of [
      ['one thread, mask by mask', maskByMask],
      ['one thread, chunk by chunk', undefined],
      ['mask threads', summer],
    ] as [string, MaskSummer | undefined][]) {
      const round = await simulateSecAggRound({ federationId: 'bench', round: 1, clip: 1, maxWeight: 1000, roundSeed: 'bench', maskSummer }, devices, gone);
      if (!round.outcome.ok) throw new Error(round.outcome.reason);
      console.log(
        JSON.stringify({
          stage: 'unmask',
          unmaskWith,
          threads: maskSummer === summer ? workers.threadCount : 1,
          devices: n,
          params,
          dropped: gone.size,
          unmaskMs: Math.round(round.serverMs.unmask),
          loadAverage: Math.round(loadavg()[0]! * 10) / 10,
          rssMB: Math.round(process.memoryUsage().rss / 2 ** 20),
        }),
      );
    }
  }
await workers.close();
