import { spawn } from 'node:child_process';
import type { QueryResult } from '@flock/fl-core/analytics';
import { DeviceSession, type DeviceSessionView, type PredictionJob } from '@flock/fl-core/device';
import { MemoryShards, nodeAdapters } from '@flock/fl-core/node';
import { testFederationConfig } from '@flock/fl-core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QueryRecord } from '../analytics/queryBook.ts';
import { runInProcess } from '../testing/inProcessCommand.ts';
import { restOk } from '../testing/restCalls.ts';
import { until, useTestCoordinator } from '../testing/testCoordinator.ts';
import { addQueryCommand, queryBody, type QueryFlags } from './queryCommand.ts';

const TOKEN = 'query-cli-test-admin-token';
const FEDERATION = 'cli-queried';
const DEVICES = 3;
const EXAMPLES = 20;
const BIN = new URL('../../bin/flockctl.mjs', import.meta.url).pathname;
const env = useTestCoordinator('flock-query-cli-', TOKEN);

/** `flockctl query ...` in-process against the test's coordinator, real REST. */
const query = (...args: string[]) =>
  runInProcess(addQueryCommand, ['query', ...args, '--federation', FEDERATION, '--url', env.coordinator.url, '--admin-token', TOKEN]);

// Devices that only answer queries: the federation never starts, so they never train.
const sessions: DeviceSession[] = [];
beforeAll(async () => {
  await restOk(
    env.coordinator.url,
    TOKEN,
    'POST',
    '/api/federations',
    testFederationConfig({ id: FEDERATION, dataset: { kind: 'mnist', partition: 'iid', examplesPerDevice: EXAMPLES, numDevices: DEVICES, seed: 2 } }),
  );
  const shards = new MemoryShards(env.coordinator.url);
  // A model that predicts class 0 for every example stands in for the global model's predictions (pulled from the coordinator all the same).
  const untrained = {
    train: () => Promise.reject(new Error('this test never starts a round')),
    predict: (job: PredictionJob) => Promise.resolve(new Int32Array(job.examples.count)),
  };
  const views = new Map<string, DeviceSessionView>();
  for (let i = 0; i < DEVICES; i++) {
    const deviceId = `cli-query-device-${i}`;
    const session = new DeviceSession(
      { deviceId, federationId: FEDERATION, backend: 'cpu', adapter: null },
      nodeAdapters(env.coordinator.url, shards, untrained),
      (v) => views.set(deviceId, v),
    );
    sessions.push(session);
    session.start();
  }
  await until(async () => ([...views.values()].filter((v) => v.state === 'waiting-for-round').length === DEVICES ? true : undefined), 'the devices to join');
}, 60_000);
afterAll(() => {
  for (const s of sessions) s.close();
});

describe('flockctl query', () => {
  it('asks the devices, waits for the answer and prints the record as JSON', async () => {
    const [printed] = await query('label-histogram', '--min-devices', String(DEVICES), '--json');
    const record = JSON.parse(printed!) as QueryRecord;
    expect(record).toMatchObject({ status: 'done', answered: DEVICES, query: { kind: 'label-histogram', privacy: { minDevices: DEVICES } } });
    const result = record.result as Extract<QueryResult, { kind: 'label-histogram' }>;
    expect(result.counts.reduce((a, b) => a + b)).toBe(DEVICES * EXAMPLES);
  });

  it('prints a refused query and fails with its reason', async () => {
    const printed: string[] = [];
    await expect(
      runInProcess(
        (program) => addQueryCommand(program, (line) => printed.push(line)),
        ['query', 'label-histogram', '--min-devices', '10', '--federation', FEDERATION, '--url', env.coordinator.url, '--admin-token', TOKEN],
      ),
    ).rejects.toThrow(/^query q\d+ refused: only 3 devices are online and the query needs answers from at least 10 \(its minDevices\)/);
    expect(JSON.parse(printed[0]!)).toMatchObject({ status: 'refused', result: null });
  });

  it("prints the global model's confusion matrix, pooled over the devices", async () => {
    const [printed] = await query('confusion-matrix', '--min-devices', String(DEVICES), '--json');
    const result = (JSON.parse(printed!) as QueryRecord).result as Extract<QueryResult, { kind: 'confusion-matrix' }>;
    expect(result.devices).toBe(DEVICES);
    expect(result.matrix.map((row) => row.slice(1).every((n) => n === 0))).toEqual(new Array(10).fill(true));
    expect(result.matrix.reduce((a, row) => a + row[0]!, 0)).toBe(DEVICES * EXAMPLES);
  });

  it("passes on the coordinator's refusal of a query it cannot check", async () => {
    await expect(query('quantiles', '--column', 'age', '--edges', '0,10', '--quantiles', '0.5')).rejects.toThrow(/HTTP 400: query refused: /);
  });

  it('queues without waiting with --no-wait', async () => {
    const [printed] = await query('label-histogram', '--min-devices', String(DEVICES), '--no-wait');
    expect((JSON.parse(printed!) as QueryRecord).status).toMatch(/^(queued|running|done)$/);
  });

  it('exits 1 with the reason as the installed command', { timeout: 120_000 }, async () => {
    const child = spawn(
      process.execPath,
      [BIN, 'query', 'label-histogram', '--min-devices', '10', '--federation', FEDERATION, '--url', env.coordinator.url, '--admin-token', TOKEN],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let [stdout, stderr] = ['', ''];
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    expect(await new Promise<number | null>((resolve) => child.once('exit', resolve))).toBe(1);
    expect((JSON.parse(stdout) as QueryRecord).status).toBe('refused');
    expect(stderr).toMatch(/^flockctl: query q\d+ refused: only 3 devices are online/);
  });
});

describe('queryBody', () => {
  const flags = (more: Partial<QueryFlags>): QueryFlags => ({ url: '', federation: 'f', wait: true, ...more });

  it('pairs each --column of column-stats with its --low, --high and --bins, in order, and puts the privacy flags in privacy', () => {
    expect(
      queryBody('column-stats', flags({ column: ['age', 'income'], low: [18, 0], high: [90, 1e5], bins: [5], epsilon: 1, examplesPerDevice: 100 })),
    ).toEqual({
      kind: 'column-stats',
      privacy: { epsilon: 1, examplesPerDevice: 100 },
      columns: [
        { name: 'age', low: 18, high: 90, bins: 5 },
        { name: 'income', low: 0, high: 1e5 },
      ],
    });
    expect(() => queryBody('column-stats', flags({ column: ['age'], low: [18] }))).toThrow('column age needs its --low and --high');
  });

  it('builds quantiles and frequent values from their flags', () => {
    expect(queryBody('quantiles', flags({ column: ['age'], edges: [0, 50, 100], quantiles: [0.5], deadlineMs: 5000 }))).toEqual({
      kind: 'quantiles',
      deadlineMs: 5000,
      column: 'age',
      edges: [0, 50, 100],
      quantiles: [0.5],
    });
    expect(queryBody('frequent-values', flags({ values: [1, 'cat'], k: 3, minDevices: 4 }))).toEqual({
      kind: 'frequent-values',
      privacy: { minDevices: 4 },
      values: [1, 'cat'],
      k: 3,
    });
  });
});
