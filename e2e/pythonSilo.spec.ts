import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testFederationConfig } from '@flock/fl-core/testing';
import { expect, test } from '@playwright/test';
import { pythonEnv, pythonInterpreter } from '../apps/coordinator/src/interop/python.ts';
import { writeSiloData } from '../apps/coordinator/src/testing/siloDataFiles.ts';
import { adminHeaders, fetchDevices, fetchRounds } from './support/coordinator.ts';

const FEDERATION = 'python-silo-e2e';
/**
 * Enough that the tabs are still training when the silo's link is cut: a round whose other devices have all answered
 * closes as soon as the silo's connection drops, before it can reconnect and send the rest.
 */
const TAB_EXAMPLES = 1_000;
const SILO_EXAMPLES = 300;
const ROUNDS = 3;
/**
 * mnist-mlp's float32 delta is 407 KB: two upload chunks of 256 KB. Past this many bytes from the silo on one
 * connection its second chunk is on the wire, the first one acknowledged: the proxy cuts the link there, once.
 */
const CUT_AFTER_BYTES = 300_000;

/**
 * A TCP proxy between the silo and the coordinator that drops the connection carrying the first update mid-upload,
 * as a lost link would: nothing in the client knows about it.
 */
async function cuttingProxy(target: URL): Promise<{ server: Server; url: string; cuts: () => number }> {
  let cuts = 0;
  const server = createServer((client: Socket) => {
    const upstream = connect(Number(target.port), target.hostname);
    let fromClient = 0;
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk: Buffer) => {
      fromClient += chunk.byteLength;
      if (cuts === 0 && fromClient > CUT_AFTER_BYTES) {
        cuts++;
        drop();
        return;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    client.on('error', drop);
    upstream.on('error', drop);
    client.on('close', drop);
    upstream.on('close', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the proxy has no port');
  return { server, url: `http://127.0.0.1:${address.port}`, cuts: () => cuts };
}

test('a Python silo and two browser tabs train one federation; the silo resumes an upload cut mid-way', async ({ browser, request, baseURL }) => {
  const created = await request.post('/api/federations', {
    headers: adminHeaders,
    data: testFederationConfig({
      id: FEDERATION,
      name: 'Python silo and tabs',
      dataset: { kind: 'mnist', partition: 'iid', examplesPerDevice: TAB_EXAMPLES, numDevices: 2, seed: 13 },
      training: { epochs: 1, batchSize: 20, learningRate: 0.1 },
      maxRounds: ROUNDS,
      minDevices: 3,
      deadline: { mode: 'fixed', ms: 120_000 },
      evalExamples: 500,
      modelSeed: 13,
      // float32 up, so the update travels in two chunks the proxy can cut between.
      codec: { uplink: 'float32', downlink: 'float32' },
    }),
  });
  expect(created.status(), await created.text()).toBe(201);

  const tabs = await Promise.all([0, 1].map(async () => (await browser.newContext()).newPage()));
  for (const tab of tabs) await tab.goto(`/?federation=${FEDERATION}&autojoin=1&backend=cpu`);

  const proxy = await cuttingProxy(new URL(baseURL!));
  const data = await writeSiloData(SILO_EXAMPLES);
  const state = await mkdtemp(join(tmpdir(), 'flock-python-silo-'));
  const args = ['-m', 'flock_client.cli', 'client', '--server', proxy.url, '--federation', FEDERATION, '--data', data, '--state-dir', state];
  const silo = spawn(pythonInterpreter(), args, { env: pythonEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let siloLog = '';
  silo.stdout.on('data', (c: Buffer) => (siloLog += c.toString()));
  silo.stderr.on('data', (c: Buffer) => (siloLog += c.toString()));
  try {
    const devices = () => fetchDevices(request, FEDERATION);
    await expect.poll(async () => (await devices()).filter((d) => d.connected && d.state === 'waiting-for-round').length, { timeout: 60_000 }).toBe(3);
    expect((await devices()).map((d) => d.examples).sort()).toEqual([TAB_EXAMPLES, TAB_EXAMPLES, SILO_EXAMPLES]);

    expect((await request.post(`/api/federations/${FEDERATION}/start`, { headers: adminHeaders, data: {} })).ok()).toBe(true);
    await expect.poll(async () => (await fetchRounds(request, FEDERATION)).length, { timeout: 60_000, intervals: [1_000] }).toBe(ROUNDS);
    const rounds = await fetchRounds(request, FEDERATION);
    for (const r of rounds) expect([r.round, r.participants, r.examples]).toEqual([r.round, 3, 2 * TAB_EXAMPLES + SILO_EXAMPLES]);
    expect((await devices()).map((d) => d.roundsContributed)).toEqual([ROUNDS, ROUNDS, ROUNDS]);

    // The link was cut while the first update's second chunk flowed; after reconnecting the silo sent only the rest.
    expect(proxy.cuts()).toBe(1);
    expect(siloLog).toMatch(/the upload of round 1 was cut/);
    expect(siloLog).toMatch(/round 1: the coordinator already holds 262,144 of the update's [\d,]+ bytes; sending the rest/);

    // As with tabs alone: the global model gets better round after round.
    const accuracy = rounds.map((r) => r.accuracy!);
    console.log(`global accuracy by round: ${accuracy.map((a) => a.toFixed(3)).join(', ')}`);
    expect(accuracy[ROUNDS - 1]).toBeGreaterThan(accuracy[0]!);
    expect(accuracy[ROUNDS - 1]).toBeGreaterThan(0.7);
  } catch (err) {
    throw new Error(`${String(err)}\nthe Python silo's log:\n${siloLog}`, { cause: err });
  } finally {
    silo.kill('SIGTERM');
    proxy.server.close();
    await rm(data, { recursive: true, force: true });
    await rm(state, { recursive: true, force: true });
  }
});
