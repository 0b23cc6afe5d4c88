import type { FederationStatusMessage, FederationSummary, HelloReply } from '@flock/fl-core';
import type { QueryAskMessage } from '@flock/fl-core/analytics';
import { testFederationConfig } from '@flock/fl-core/testing';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESTART_REFUSAL, type QueryRecord } from '../analytics/queryBook.ts';
import { connectDevice, sayHello } from '../testing/deviceSockets.ts';
import { RestartableCoordinator } from '../testing/restartableCoordinator.ts';

const TOKEN = 'query-ledger-test-admin-token';
const FED = 'ledger';

let coordinator: RestartableCoordinator;
const sockets: Socket[] = [];
/** The devices answer queries while this is on; off, a query stays running. */
let answering = true;
const statuses: FederationStatusMessage[] = [];

const api = <T>(method: string, path: string, body?: unknown) => coordinator.api<T>(method, path, body);
const histogram = (epsilon: number) => ({ kind: 'label-histogram', privacy: { minDevices: 2, epsilon, examplesPerDevice: 10 } });

beforeAll(async () => {
  coordinator = await RestartableCoordinator.launch('flock-query-ledger-', TOKEN);
});

afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await coordinator?.close();
});

/** Devices that answer every query with one example of label 0 (while `answering`); their hello replies. */
async function answeringDevices(deviceIds = ['device-one', 'device-two']): Promise<HelloReply[]> {
  const replies: HelloReply[] = [];
  for (const deviceId of deviceIds) {
    const socket = connectDevice(coordinator.url);
    sockets.push(socket);
    socket.on('query:ask', (msg: QueryAskMessage) => {
      if (answering) socket.emit('query:answer', { queryId: msg.queryId, answer: msg.context.classes.map((_, i) => (i === 0 ? 1 : 0)) }, () => {});
    });
    socket.on('federation:status', (msg: FederationStatusMessage) => statuses.push(msg));
    const reply = await sayHello(socket, deviceId, FED);
    if (!reply.ok) throw new Error(reply.reason);
    replies.push(reply);
  }
  return replies;
}

async function until(check: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > end) throw new Error(`${what} did not happen`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function finished(queryId: string): Promise<QueryRecord> {
  const end = Date.now() + 10_000;
  while (Date.now() < end) {
    const { body } = await api<QueryRecord>('GET', `/api/federations/${FED}/queries/${queryId}`);
    if (body.status === 'done' || body.status === 'refused') return body;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`query ${queryId} did not finish`);
}

describe("the federation's query privacy ledger across a coordinator restart", () => {
  it("keeps a done query's record and its ε, charged against the privacy target after the restart, tells the devices, and never reuses a query's number", async () => {
    const config = testFederationConfig({
      id: FED,
      name: 'query ledger',
      dataset: { kind: 'mnist', partition: 'iid', examplesPerDevice: 10, numDevices: 4, seed: 1 },
      evalExamples: 10,
      privacy: { mode: 'central', clipNorm: 1, noiseMultiplier: 1, delta: 1e-5, targetEpsilon: 2, onTarget: 'stop' },
    });
    expect((await api('POST', '/api/federations', config)).status).toBe(201);
    await answeringDevices();
    const submitted = await api<QueryRecord>('POST', `/api/federations/${FED}/queries`, histogram(1.5));
    expect(submitted.status).toBe(201);
    const done = await finished(submitted.body.id);
    expect(done).toMatchObject({ status: 'done', answered: 2 });
    const words = 'Training has spent no ε yet and queries ε 1.5: ε 1.5 of the target 2.';
    // The devices online hear of the queries' ε beside training's guarantee.
    await until(() => statuses.filter((s) => s.privacySpend === words).length === 2, 'federation:status with the privacy spend');
    // A query still running when the coordinator stops.
    answering = false;
    const interrupted = await api<QueryRecord>('POST', `/api/federations/${FED}/queries`, histogram(0.1));
    expect(interrupted.body.status).toBe('running');

    for (const s of sockets.splice(0)) s.disconnect();
    await coordinator.restart();

    // The record is read back from the store, and the ε it spent still counts: 1.5 + 1 would pass the target of 2.
    expect((await api<QueryRecord>('GET', `/api/federations/${FED}/queries/${done.id}`)).body).toEqual(done);
    expect((await api<QueryRecord[]>('GET', `/api/federations/${FED}/queries`)).body.map((r) => r.id)).toEqual([interrupted.body.id, done.id]);
    // The query it was running reads as refused, having spent nothing.
    expect((await api<QueryRecord>('GET', `/api/federations/${FED}/queries/${interrupted.body.id}`)).body).toMatchObject({
      status: 'refused',
      reason: RESTART_REFUSAL,
    });
    const refused = await api<{ reason: string }>('POST', `/api/federations/${FED}/queries`, histogram(1));
    expect(refused.status).toBe(409);
    expect(refused.body.reason).toBe(
      "this query's ε 1 would bring the federation's privacy spend from 1.5 to 2.5, past its target of 2. Ask with a smaller epsilon (at most 0.5), or raise the federation's targetEpsilon",
    );
    const summary = await api<FederationSummary>('GET', `/api/federations/${FED}`);
    expect(summary.body.privacySpend).toEqual({
      training: null,
      queries: 1.5,
      total: 1.5,
      words,
    });
    // A device saying hello now is told too.
    answering = true;
    expect((await answeringDevices(['device-three', 'device-four'])).map((r) => r.ok && r.privacySpend)).toEqual([words, words]);
    // A new query is numbered after every one submitted before, the interrupted one included.
    const next = await api<QueryRecord>('POST', `/api/federations/${FED}/queries`, histogram(0.5));
    expect(next.body.id).toBe(`q${Number(interrupted.body.id.slice(1)) + 1}`);
  }, 60_000);
});
