// `npm run bench -- python-silo [--models mnist-mlp,mnist-cnn-small] [--batch 32] [--seconds 3] [--silos 2,10] [--rounds 3] [--examples 600]`
// 1. Samples/s of the Python client's PyTorch trainer (and its numpy one) on cpu beside Flock's own loop in Node
//    (`npm run bench -- train`'s loopSamplesPerSec) on the same model and batch size, random data.
// 2. A federation of N Python silos (`flock-py client`, PyTorch) and the same federation of N Node silos
//    (`flockctl client --backend cpu`), each silo a process with its own MNIST examples: median round time and
//    bytes per round (up and down) over the rounds. One JSON line per row.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { RoundRecord } from '@flock/fl-core';
import { testFederationConfig } from '@flock/fl-core/testing';
import { startCoordinator } from '../src/coordinator.ts';
import { pythonEnv, pythonInterpreter, REPO_ROOT, runPython } from '../src/interop/python.ts';
import { waitFor } from '../src/simulation/simulation.ts';
import { restOk } from '../src/testing/restCalls.ts';
import { writeSiloData } from '../src/testing/siloDataFiles.ts';

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: 'mnist-mlp,mnist-cnn-small' },
    batch: { type: 'string', default: '32' },
    seconds: { type: 'string', default: '3' },
    silos: { type: 'string', default: '2,10' },
    rounds: { type: 'string', default: '3' },
    examples: { type: 'string', default: '600' },
  },
});
const batch = Number(values.batch);
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const examples = Number(values.examples);
const TOKEN = 'python-silo-bench-admin-token';
const FLOCKCTL = join(REPO_ROOT, 'apps/coordinator/bin/flockctl.mjs');

for (const model of values.models.split(',')) console.log(JSON.stringify({ bench: 'python-silo', part: 'samples-per-sec', ...(await throughput(model)) }));
for (const n of values.silos.split(',').map(Number)) {
  for (const platform of ['python', 'node'] as const)
    console.log(JSON.stringify({ bench: 'python-silo', part: 'federation', ...(await federation(platform, n)) }));
}

async function throughput(model: string) {
  const python = async (engine: 'torch' | 'numpy') => {
    const script = `from flock_client.models import bench_samples_per_second as b; print(b(${JSON.stringify(model)}, batch=${batch}, seconds=${seconds}, engine="${engine}"))`;
    const run = await runPython(['-c', script], { timeoutMs: 120_000 + seconds * 10_000 });
    if (run.code !== 0) throw new Error(`the Python ${engine} bench failed: ${run.stderr}`);
    return Math.round(Number(run.stdout.toString().trim()));
  };
  const torchSamplesPerSec = await python('torch');
  const numpySamplesPerSec = await python('numpy');
  const node = await collect('npx', [
    'tsx',
    'packages/fl-core/bench/train.ts',
    '--backend',
    'cpu',
    '--models',
    model,
    '--batches',
    String(batch),
    '--seconds',
    String(seconds),
  ]);
  const row = JSON.parse(node.trim().split('\n').at(-1)!) as { loopSamplesPerSec: number };
  return {
    model,
    batch,
    torchSamplesPerSec,
    numpySamplesPerSec,
    nodeLoopSamplesPerSec: row.loopSamplesPerSec,
    torchToNodeLoop: Math.round((torchSamplesPerSec / row.loopSamplesPerSec) * 100) / 100,
  };
}

async function federation(platform: 'python' | 'node', n: number) {
  const dir = await mkdtemp(join(tmpdir(), 'flock-python-silo-bench-'));
  const coordinator = await startCoordinator({ port: 0, host: '127.0.0.1', dataDir: join(dir, 'data'), adminToken: TOKEN, logLevel: 'silent' });
  const api = <T>(method: string, path: string, body?: unknown) => restOk<T>(coordinator.url, TOKEN, method, path, body);
  const id = `${platform}-silos-${n}`;
  const silos: ChildProcess[] = [];
  let data = '';
  try {
    await api(
      'POST',
      '/api/federations',
      testFederationConfig({
        id,
        model: 'mnist-mlp',
        dataset: { kind: 'mnist', partition: 'iid', examplesPerDevice: examples, numDevices: n, seed: 1 },
        training: { epochs: 1, batchSize: batch, learningRate: 0.05 },
        maxRounds: rounds,
        minDevices: n,
        deadline: { mode: 'fixed', ms: 600_000 },
        evalExamples: 1000,
      }),
    );
    data = await writeSiloData(examples);
    for (let i = 0; i < n; i++) {
      const deviceId = `${id}-${i}`;
      const common = ['--server', coordinator.url, '--federation', id, '--data', data, '--device-id', deviceId];
      silos.push(
        platform === 'python'
          ? spawn(pythonInterpreter(), ['-m', 'flock_client.cli', 'client', ...common, '--state-dir', join(dir, deviceId)], {
              env: pythonEnv(),
              stdio: 'ignore',
            })
          : spawn(process.execPath, [FLOCKCTL, 'client', ...common, '--backend', 'cpu'], { stdio: 'ignore' }),
      );
    }
    type Devices = { connected: boolean; state: string }[];
    await waitFor(
      async () => (await api<Devices>('GET', `/api/federations/${id}/devices`)).filter((d) => d.connected && d.state === 'waiting-for-round').length >= n,
      300_000,
      `${n} ${platform} silos`,
    );
    await api('POST', `/api/federations/${id}/start`, {});
    await waitFor(async () => (await api<{ status: string }>('GET', `/api/federations/${id}`)).status === 'finished', 900_000, `${rounds} rounds`);
    const records = await api<RoundRecord[]>('GET', `/api/federations/${id}/rounds`);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    return {
      platform,
      silos: n,
      model: 'mnist-mlp',
      examplesPerSilo: examples,
      rounds: records.length,
      roundMsMedian: Math.round(median(records.map((r) => r.durationMs))),
      bytesUpPerRound: Math.round(median(records.map((r) => r.bytesUp))),
      bytesDownPerRound: Math.round(median(records.map((r) => r.bytesDown))),
      finalAccuracy: records.at(-1)?.accuracy ?? null,
    };
  } finally {
    for (const silo of silos) silo.kill('SIGTERM');
    await coordinator.close();
    await rm(dir, { recursive: true, force: true });
    if (data) await rm(data, { recursive: true, force: true });
  }
}

/** A command's stdout; its stderr passes through. */
function collect(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} ${args.join(' ')} exited with ${code}`))));
  });
}
