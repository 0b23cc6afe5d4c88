import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { EventLogEntry, FederationConfig, RoundRecord } from '@flock/fl-core';
import { DeviceSession } from '@flock/fl-core/device';
import { InProcessTrainer, MemoryShards, nodeAdapters } from '@flock/fl-core/node';
import { testFederationConfig } from '@flock/fl-core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restOk } from '../testing/restCalls.ts';
import { writeSiloData } from '../testing/siloDataFiles.ts';
import { until, useTestCoordinator } from '../testing/testCoordinator.ts';
import { pythonEnv, pythonInterpreter } from './python.ts';

const TOKEN = 'python-client-test-admin-token';
const ROUNDS = 2;
const SILO_EXAMPLES = 60;
const env = useTestCoordinator('flock-python-client-', TOKEN);
const api = <T>(method: string, path: string, body?: unknown) => restOk<T>(env.coordinator.url, TOKEN, method, path, body);

let siloData = '';
beforeAll(async () => {
  siloData = await writeSiloData(SILO_EXAMPLES);
});
afterAll(async () => {
  if (siloData) await rm(siloData, { recursive: true, force: true });
});

/** `flock-py client` on the silo's files, its output collected for the failure message. */
function startPythonSilo(
  federation: string,
  deviceId: string,
  engine: 'torch' | 'numpy',
): { child: ChildProcessByStdio<null, Readable, Readable>; log: () => string } {
  const args = ['-m', 'flock_client.cli', 'client', '--server', env.coordinator.url, '--federation', federation, '--data', siloData];
  const child = spawn(pythonInterpreter(), [...args, '--device-id', deviceId, '--engine', engine, '--state-dir', `${env.dir}/${deviceId}`], {
    env: pythonEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (c: Buffer) => (log += c.toString()));
  child.stderr.on('data', (c: Buffer) => (log += c.toString()));
  return { child, log: () => log };
}

/** A federation of one Node device (an assigned shard) and one Python silo (its own files) trains ROUNDS rounds. */
async function trainTogether(
  id: string,
  codec: FederationConfig['codec'],
  engine: 'torch' | 'numpy',
): Promise<{ rounds: RoundRecord[]; pythonEvents: string[] }> {
  await api(
    'POST',
    '/api/federations',
    testFederationConfig({
      id,
      dataset: { kind: 'mnist', partition: 'iid', examplesPerDevice: 40, numDevices: 1, seed: 3 },
      training: { epochs: 1, batchSize: 20, learningRate: 0.1 },
      maxRounds: ROUNDS,
      minDevices: 2,
      codec,
    }),
  );
  const url = env.coordinator.url;
  const shards = new MemoryShards(url);
  const trainer = new InProcessTrainer((shard) => shards.get(shard));
  const node = new DeviceSession({ deviceId: `${id}-node`, federationId: id, backend: 'cpu', adapter: null }, nodeAdapters(url, shards, trainer));
  const pythonId = `${id}-python`;
  const silo = startPythonSilo(id, pythonId, engine);
  node.start();
  const events = () => api<EventLogEntry[]>('GET', `/api/federations/${id}/events`);
  try {
    await until(async () => ((await events()).filter((e) => e.kind === 'device-online').length === 2 ? true : undefined), 'both devices to join', 45_000);
    await api('POST', `/api/federations/${id}/start`, {});
    await until(
      async () => ((await api<{ status: string }>('GET', `/api/federations/${id}`)).status === 'finished' ? true : undefined),
      'the federation to finish',
      90_000,
    );
    const rounds = await api<RoundRecord[]>('GET', `/api/federations/${id}/rounds`);
    const pythonEvents = (await events()).filter((e) => e.deviceId === pythonId).map((e) => e.kind);
    return { rounds, pythonEvents };
  } catch (err) {
    throw new Error(`${String(err)}\nthe Python silo's log:\n${silo.log()}`, { cause: err });
  } finally {
    node.close();
    trainer.dispose();
    silo.child.kill('SIGTERM');
  }
}

describe('a Python silo (flock-py client) beside a Node device', () => {
  it.concurrent('trains an int8 federation (float16 model down) with PyTorch: both updates count every round', { timeout: 120_000 }, async () => {
    const { rounds, pythonEvents } = await trainTogether('py-int8', { uplink: 'int8', downlink: 'float16' }, 'torch');
    expect(rounds.map((r) => [r.round, r.participants, r.examples])).toEqual([
      [1, 2, 40 + SILO_EXAMPLES],
      [2, 2, 40 + SILO_EXAMPLES],
    ]);
    expect(pythonEvents).not.toContain('update-rejected');
  });

  it.concurrent('trains a top-k federation with numpy, the downlink as a delta against the model it holds', { timeout: 120_000 }, async () => {
    const { rounds, pythonEvents } = await trainTogether('py-topk', { uplink: 'topk', topkFraction: 0.1, downlink: 'float32', downlinkDelta: true }, 'numpy');
    expect(rounds.map((r) => [r.round, r.participants, r.examples])).toEqual([
      [1, 2, 40 + SILO_EXAMPLES],
      [2, 2, 40 + SILO_EXAMPLES],
    ]);
    expect(pythonEvents).not.toContain('update-rejected');
  });
});
