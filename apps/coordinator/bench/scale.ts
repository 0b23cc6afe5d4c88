// One coordinator, N lightweight devices (sockets that answer each round:start at once with a tiny,
// precomputed valid delta: no training), rounds with all of them. Reports wall time per round
// (broadcast -> every update folded in, training excluded), the coordinator's peak RSS, and RSS vs N.
// `npm run bench -- scale [--devices 250,500,1000] [--rounds 5]`
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { io, type Socket } from 'socket.io-client';
import { buildModel, encodeWeights, manifestOf, manifestSize } from '@flock/fl-core';
import { testFederationConfig } from '@flock/fl-core/testing';
import { CoordinatorClient } from '../src/cli/coordinatorClient.ts';
import { waitFor } from '../src/simulation/simulation.ts';
import { helloFrom } from '../src/testing/deviceSockets.ts';

const { values } = parseArgs({ options: { devices: { type: 'string', default: '250,500,1000' }, rounds: { type: 'string', default: '5' } } });
const counts = values.devices.split(',').map(Number);
const rounds = Number(values.rounds);
const TOKEN = 'scale-bench-admin-token-0123';
const MODEL = 'mnist-cnn-small';

// Packed by scripts/pack-gpu.sh, the coordinator is bundled as main.mjs beside this bundle; from the repo, tsx runs its source.
const bundledCoordinator = fileURLToPath(new URL('./main.mjs', import.meta.url));
const COORDINATOR_ARGS = existsSync(bundledCoordinator) ? [bundledCoordinator] : ['--import', 'tsx', 'apps/coordinator/src/main.ts'];

const model = buildModel(MODEL, 1);
const manifest = manifestOf(model);
model.dispose();
const delta = encodeWeights(manifest, new Float32Array(manifestSize(manifest)).fill(1e-4), 'delta');

for (const n of counts) console.log(JSON.stringify(await measure(n)));

async function measure(n: number) {
  const port = 40_000 + Math.floor(Math.random() * 10_000);
  const dataDir = await mkdtemp(join(tmpdir(), 'flock-scale-'));
  const coordinator = spawn(process.execPath, COORDINATOR_ARGS, {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', FLOCK_DATA_DIR: dataDir, FLOCK_ADMIN_TOKEN: TOKEN, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const client = new CoordinatorClient(url, TOKEN);
  const sockets: Socket[] = [];
  let peak = 0;
  const sampler = setInterval(() => void rss(coordinator).then((r) => (peak = Math.max(peak, r))), 50);
  try {
    await waitFor(
      () =>
        fetch(`${url}/api/health`).then(
          (r) => r.ok,
          () => false,
        ),
      60_000,
      'the coordinator',
    );
    const id = `scale${n}`;
    const config = testFederationConfig({
      id,
      name: `scale ${n}`,
      model: MODEL,
      dataset: { kind: 'mnist', partition: 'iid', examplesPerDevice: 10, numDevices: n, seed: 1 },
      maxRounds: rounds,
      minDevices: n,
      deadline: { mode: 'fixed', ms: 600_000 },
      // The light devices send one precomputed float32 delta.
      codec: { uplink: 'float32', downlink: 'float32' },
    });
    await client.createFederation(config);
    const idle = await rss(coordinator);
    for (let i = 0; i < n; i++) sockets.push(await lightDevice(url, id, `${id}-dev-${String(i).padStart(5, '0')}`));
    await waitFor(async () => (await client.devices(id)).filter((d) => d.connected).length >= n, 120_000, `${n} devices`);
    const connected = await rss(coordinator);
    await client.start(id);
    await waitFor(async () => (await client.federation(id)).status === 'finished', 600_000, `${rounds} rounds`);
    const records = await client.rounds(id);
    const perRound = records.map((r) => r.durationMs).sort((a, b) => a - b);
    return {
      bench: 'scale',
      devices: n,
      rounds: records.length,
      participantsPerRound: records[0]?.participants,
      roundMsMedian: perRound[Math.floor(perRound.length / 2)],
      roundMsMax: perRound.at(-1),
      rssIdleMB: mb(idle),
      rssConnectedMB: mb(connected),
      peakRssMB: mb(peak),
      rssPerDeviceKB: Math.round((connected - idle) / n / 1024),
      modelParams: manifestSize(manifest),
    };
  } finally {
    clearInterval(sampler);
    for (const s of sockets) s.close();
    coordinator.kill();
    await new Promise((resolve) => coordinator.once('exit', resolve));
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Says hello with data of its own (no shard download) and answers every round:start with the precomputed delta. */
async function lightDevice(url: string, federationId: string, deviceId: string): Promise<Socket> {
  const socket = io(url, { transports: ['websocket'], reconnection: false });
  socket.on('round:start', (msg: { round: number }) => {
    socket.emit('update', { federationId, round: msg.round, numExamples: 10, metrics: { loss: 1, accuracy: 0.1 }, payload: delta }, () => {});
  });
  socket.on('connect', () => {
    socket.emit('hello', helloFrom(deviceId, federationId, { dataSource: { kind: 'own', numExamples: 10 } }), () => {});
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return socket;
}

async function rss(child: ChildProcess): Promise<number> {
  const status = await readFile(`/proc/${child.pid}/status`, 'utf8').catch(() => '');
  const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1];
  return kb ? Number(kb) * 1024 : 0;
}

function mb(bytes: number): number {
  return Math.round(bytes / 1024 / 1024);
}
