import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join as joinPath } from 'node:path';
import type { Readable } from 'node:stream';
import type { EventLogEntry, FederationConfig, RoundRecord } from '@flock/fl-core';
import type { QueryResult } from '@flock/fl-core/analytics';
import { DeviceCredentials, DeviceSession, type DeviceData, type DeviceSessionView } from '@flock/fl-core/device';
import { InProcessTrainer, MemoryShards, nodeAdapters } from '@flock/fl-core/node';
import { testFederationConfig } from '@flock/fl-core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { askQuery } from '../testing/queryCalls.ts';
import { restOk } from '../testing/restCalls.ts';
import { writeSiloData } from '../testing/siloDataFiles.ts';
import { until, useTestCoordinator } from '../testing/testCoordinator.ts';
import { pythonEnv, pythonInterpreter } from './python.ts';

const TOKEN = 'python-client-test-admin-token';
const ROUNDS = 2;
const NODE_EXAMPLES = 40;
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

interface Federation {
  id: string;
  codec: FederationConfig['codec'];
  engine: 'torch' | 'numpy';
  join: 'open' | 'enrollment';
}

/** `flock-py client` on the silo's files, its output collected for the failure message. */
function startPythonSilo(
  { id, engine }: Federation,
  deviceId: string,
  token: string | null,
): { child: ChildProcessByStdio<null, Readable, Readable>; log: () => string } {
  const args = ['-m', 'flock_client.cli', 'client', '--server', env.coordinator.url, '--federation', id, '--data', siloData, '--device-id', deviceId];
  const own = ['--engine', engine, '--state-dir', `${env.dir}/${deviceId}`, ...(token ? ['--token', token] : [])];
  const child = spawn(pythonInterpreter(), [...args, ...own], { env: pythonEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (c: Buffer) => (log += c.toString()));
  child.stderr.on('data', (c: Buffer) => (log += c.toString()));
  return { child, log: () => log };
}

function histogramOf(labels: Uint8Array): number[] {
  const counts = new Array<number>(10).fill(0);
  for (const label of labels) counts[label]!++;
  return counts;
}

/**
 * One Node device (an assigned shard) and one Python silo (its own files) answer a label histogram (which must be the
 * pooled truth of both devices' labels) and the initial model's confusion matrix (the silo pulls that model and runs it;
 * each row adds up to that label's count), then train ROUNDS rounds of a federation.
 */
async function trainTogether(federation: Federation): Promise<{ rounds: RoundRecord[]; pythonEvents: string[] }> {
  const { id, codec, join } = federation;
  await api(
    'POST',
    '/api/federations',
    testFederationConfig({
      id,
      join,
      dataset: { kind: 'mnist', partition: 'iid', examplesPerDevice: NODE_EXAMPLES, numDevices: 1, seed: 3 },
      training: { epochs: 1, batchSize: 20, learningRate: 0.1 },
      maxRounds: ROUNDS,
      minDevices: 2,
      codec,
    }),
  );
  // One enrollment token brings both devices into an enrollment-only federation.
  const token =
    join === 'enrollment' ? (await api<{ token: string }>('POST', '/api/tokens', { role: 'device', federationId: id, expiresIn: '1h' })).token : null;
  const url = env.coordinator.url;
  const shards = new MemoryShards(url);
  const trainer = new InProcessTrainer((shard) => shards.get(shard));
  let nodeShard = '';
  let nodeView: DeviceSessionView | null = null;
  const data: DeviceData = {
    prepare: (assignment, downloading, headers) => {
      nodeShard = assignment.shardId;
      return shards.prepare(assignment, downloading, headers);
    },
    examples: (shardId) => shards.examples(shardId),
  };
  const node = new DeviceSession(
    { deviceId: `${id}-node`, federationId: id, backend: 'cpu', adapter: null },
    nodeAdapters(url, data, trainer, new DeviceCredentials(null, token)),
    (view) => (nodeView = view),
  );
  const pythonId = `${id}-python`;
  const silo = startPythonSilo(federation, pythonId, token);
  node.start();
  const events = () => api<EventLogEntry[]>('GET', `/api/federations/${id}/events`);
  try {
    await until(async () => ((await events()).filter((e) => e.kind === 'device-online').length === 2 ? true : undefined), 'both devices to join', 45_000);
    await until(async () => (nodeView?.state === 'waiting-for-round' ? true : undefined), 'the Node device to hold its shard');
    const histogram = await askQuery(url, TOKEN, id, { kind: 'label-histogram', privacy: { minDevices: 2 } });
    const siloLabels = (await readFile(joinPath(siloData, 'silo-labels-idx1-ubyte'))).subarray(8);
    const truth = histogramOf(shards.get(nodeShard).labels).map((n, i) => n + histogramOf(siloLabels)[i]!);
    expect(histogram).toMatchObject({ status: 'done', answered: 2 });
    expect((histogram.result as Extract<QueryResult, { kind: 'label-histogram' }>).counts).toEqual(truth);
    expect(silo.log()).toMatch(/query q\d+ \(label-histogram\) answered; what left this device: (\d+, ){9}\d+\. 10 numbers: /);
    const confusion = await askQuery(url, TOKEN, id, { kind: 'confusion-matrix', privacy: { minDevices: 2 } });
    expect(confusion).toMatchObject({ status: 'done', answered: 2 });
    const matrix = (confusion.result as Extract<QueryResult, { kind: 'confusion-matrix' }>).matrix;
    expect(matrix.map((row) => row.reduce((a, b) => a + b))).toEqual(truth);
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

const bothEveryRound = Array.from({ length: ROUNDS }, (_, i) => [i + 1, 2, NODE_EXAMPLES + SILO_EXAMPLES]);

describe('a Python silo (flock-py client) beside a Node device', () => {
  it('trains an int8 federation (float16 model down) with PyTorch: both updates count every round', { timeout: 120_000 }, async () => {
    const { rounds, pythonEvents } = await trainTogether({ id: 'py-int8', codec: { uplink: 'int8', downlink: 'float16' }, engine: 'torch', join: 'open' });
    expect(rounds.map((r) => [r.round, r.participants, r.examples])).toEqual(bothEveryRound);
    expect(pythonEvents).not.toContain('update-rejected');
  });

  it(
    'joins an enrollment-only top-k federation with its token, keeps the credential it is bound to, and takes the model as a delta, on numpy',
    { timeout: 120_000 },
    async () => {
      const codec = { uplink: 'topk', topkFraction: 0.1, downlink: 'float32', downlinkDelta: true } as const;
      const { rounds, pythonEvents } = await trainTogether({ id: 'py-topk', codec, engine: 'numpy', join: 'enrollment' });
      expect(rounds.map((r) => [r.round, r.participants, r.examples])).toEqual(bothEveryRound);
      expect(pythonEvents).not.toContain('update-rejected');
      expect(existsSync(`${env.dir}/py-topk-python/credential`)).toBe(true);
      // Error feedback: what top-k did not send is kept on disk for the next round.
      expect(readdirSync(`${env.dir}/py-topk-python`).some((f) => f.startsWith('residual-'))).toBe(true);
    },
  );
});
