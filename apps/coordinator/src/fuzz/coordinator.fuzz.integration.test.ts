import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeWeights, encodeWeights, manifestSize } from '@flock/fl-core';
import fc from 'fast-check';
import { io as connect } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteEntry } from '../auth/routeTable.ts';
import { startCoordinator } from '../coordinator.ts';
import { FuzzSockets, isRefusal, type Reply } from './fuzzSockets.ts';
import { fuzzSeed } from './fuzzSeed.ts';
import { junk, mutated } from './junkArbitraries.ts';
import { restRequests, VALID_CONFIG, type RestRequest } from './restArbitraries.ts';
import { atLiveRound, mayAccept, socketCommands, type Sender, type SocketFuzzContext } from './socketArbitraries.ts';
import { CoordinatorProcess } from '../testing/coordinatorProcess.ts';
import { seedDatabase } from '../testing/seededDatabase.ts';

/**
 * Property-based fuzzing of every door of a real coordinator process: each Socket.IO event (device
 * and admin namespaces, the handshake) and each REST route, with random and mutated-valid input.
 * The process must live, answer every bad input with a reason, keep stored federations and rounds
 * as they were, and stay within its memory budget.
 */
const SEED = fuzzSeed();
const LIVE = 'fuzz-live';
const UPLOAD_BUDGET_BYTES = 256 * 2 ** 20;
const RSS_SLACK_BYTES = 128 * 2 ** 20;
/**
 * A round the fuzzer's devices close starts the evaluation thread (its own tfjs and test set; ~150 MB
 * when it runs from the sources through tsx): memory the coordinator holds for itself, not for a peer.
 */
const EVALUATION_THREAD_BYTES = 160 * 2 ** 20;
/** Limits raised so the fuzzer's input reaches the handlers instead of the rate limiters. */
const UNLIMITED = {
  FLOCK_RATE_LIMIT_PER_MINUTE: '100000000',
  FLOCK_LOGIN_LIMIT_PER_MINUTE: '100000000',
  FLOCK_SOCKET_EVENTS_PER_SECOND: '1000000',
  FLOCK_SOCKET_EVENT_BURST: '1000000',
};

let coordinator: CoordinatorProcess;
let sockets: FuzzSockets;
let routes: RouteEntry[];
let ctx: SocketFuzzContext;
let before: unknown;
let idleRss = 0;
let peakRss = 0;
let fatalInput: string | null = null;

async function admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown; bytes: Uint8Array }> {
  const res = await fetch(`${coordinator.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${coordinator.adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const bytes = new Uint8Array(await res.arrayBuffer());
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    json = undefined;
  }
  return { status: res.status, body: json, bytes };
}

/** What no refused input may change: every federation's config, the idle demo federation whole, its rounds. */
async function storedState(): Promise<unknown> {
  const list = (await admin('GET', '/api/federations?archived=true')).body as { config: { id: string }; status: string; round: number; archived: boolean }[];
  return {
    federations: list.map((f) =>
      f.config.id === LIVE ? { config: f.config, archived: f.archived } : { config: f.config, status: f.status, round: f.round, archived: f.archived },
    ),
    demoRounds: (await admin('GET', '/api/federations/demo/rounds')).body,
  };
}

/** Throws with the process's last words if it died or stopped answering; tracks its peak RSS. */
async function assertAlive(): Promise<void> {
  const death = coordinator.death();
  if (death) throw new Error(death);
  peakRss = Math.max(peakRss, coordinator.rssBytes());
  const health = await fetch(`${coordinator.url}/api/health`).catch((err: unknown) => new Error(`health check failed: ${String(err)}`));
  if (health instanceof Error) throw new Error(coordinator.death() ?? health.message);
  expect(health.status).toBe(200);
}

/**
 * Sends `input` and checks the process lives. If it died, the failure names the input it died on
 * as it was: every later input fails too, so fast-check's shrunk counterexample proves nothing then.
 */
async function survives(input: unknown, send: () => Promise<void>): Promise<void> {
  try {
    await send();
    await assertAlive();
  } catch (err) {
    const answers = await fetch(`${coordinator.url}/api/health`).then(
      (r) => r.ok,
      () => false,
    );
    const death = answers ? null : await coordinator.deathWithin(5_000);
    if (!death) throw err;
    fatalInput ??= fc.stringify(input).slice(0, 3_000);
    throw new Error(`${death}\nthe input it died on: ${fatalInput}`, { cause: err });
  }
}

/** The REST route table as the coordinator declares it, read from an in-process coordinator on a scratch data dir. */
async function routeTable(): Promise<RouteEntry[]> {
  const dataDir = await mkdtemp(join(tmpdir(), 'flock-fuzz-routes-'));
  await seedDatabase(dataDir);
  const running = await startCoordinator({ port: 0, host: '127.0.0.1', dataDir, adminToken: 'fuzz-route-table-admin', logLevel: 'silent' });
  await running.close();
  await rm(dataDir, { recursive: true, force: true });
  return running.routes;
}

/** fast-check's report, with the seed to replay and the counterexample cut to a readable length (payloads run to megabytes). */
function parameters<T>(numRuns: number, seconds: number): fc.Parameters<T> {
  return {
    seed: SEED,
    numRuns,
    interruptAfterTimeLimit: seconds * 1000,
    reporter(details) {
      if (!details.failed) return;
      const example = fc.stringify(details.counterexample).slice(0, 3_000);
      throw new Error(
        `fuzz failure (FLOCK_FUZZ_SEED=${details.seed}, path ${details.counterexamplePath}) after ${details.numRuns} runs:\n${String(details.errorInstance)}\ncounterexample: ${example}`,
      );
    },
  };
}

function judge(sender: Sender, event: string, payload: unknown, reply: Reply): void {
  if (reply.kind === 'ack' && isRefusal(reply.value)) return;
  if (reply.kind === 'protocol-error' && isRefusal({ ok: false, ...(reply.value as object) })) return;
  if (reply.kind === 'ack' && (reply.value as { ok?: unknown } | null)?.ok === true && mayAccept(sender, event, payload)) {
    if (event === 'hello') sockets.forget(sender);
    return;
  }
  throw new Error(
    `"${event}" from the ${sender} device was answered ${reply.kind === 'ack' || reply.kind === 'protocol-error' ? `${reply.kind} ${JSON.stringify(reply.value)?.slice(0, 300)}` : `with ${reply.kind}`}`,
  );
}

beforeAll(async () => {
  routes = await routeTable();
  coordinator = await CoordinatorProcess.launch({ env: UNLIMITED });
  const live = {
    ...VALID_CONFIG,
    id: LIVE,
    name: LIVE,
    codec: { uplink: 'float32', downlink: 'float32' },
    deadline: { mode: 'fixed', ms: 600_000 },
    quorum: 1,
    maxRounds: 100_000,
  };
  expect((await admin('POST', '/api/federations', live)).status).toBe(201);
  sockets = new FuzzSockets(coordinator.url, LIVE);
  await sockets.open('live');
  await sockets.open('demo');
  expect((await admin('POST', `/api/federations/${LIVE}/start`)).status).toBe(200);
  const model = await admin('GET', `/api/federations/${LIVE}/model.flkw`);
  expect(model.status).toBe(200);
  const { manifest } = decodeWeights(model.bytes);
  ctx = { liveFederation: LIVE, validPayload: encodeWeights(manifest, new Float32Array(manifestSize(manifest)), 'delta') };
  before = await storedState();
  idleRss = coordinator.rssBytes();
}, 180_000);

afterAll(async () => {
  sockets?.close();
  await coordinator?.stop();
});

describe(`coordinator fuzz (seed ${SEED})`, () => {
  it('answers every device event (hello, status, update, chunked uploads, model chunks, secure-aggregation and query answers, unknown events) with a reason and lives', async () => {
    await fc.assert(
      fc.asyncProperty(socketCommands(ctx), (command) =>
        survives(command, async () => {
          const aimed = (message: unknown) => atLiveRound(message, command.atLiveRound, sockets.liveRound);
          if (command.kind === 'event') {
            const payload = aimed(command.payload);
            judge(command.sender, command.event, payload, await sockets.send(command.sender, command.event, payload));
          } else {
            const begin = aimed(command.begin);
            judge('live', 'update:begin', begin, await sockets.send('live', 'update:begin', begin));
            for (const chunk of command.chunks.map(aimed)) judge('live', 'update:chunk', chunk, await sockets.send('live', 'update:chunk', chunk));
          }
        }),
      ),
      parameters(400, 35),
    );
  }, 120_000);

  it('refuses handshakes with bad tokens with a reason, and answers every admin event with a reason', async () => {
    const token = fc.oneof(junk, fc.string({ maxLength: 40 }), fc.constant('a.b.c'));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/', '/admin'), token, (namespace, bad) =>
        survives([namespace, bad], async () => {
          const socket = connect(`${coordinator.url}${namespace}`, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { token: bad } });
          const outcome = await new Promise<string>((resolve) => {
            socket.once('connect', () => resolve('connected'));
            socket.once('connect_error', (err) => resolve(`refused:${err.message}`));
          });
          socket.close();
          // A device may connect without a token (open federations); anything it sent as a token must check out.
          // The handshake travels as JSON, so NaN and the infinities arrive as null: no token.
          const arrived: unknown = (JSON.parse(JSON.stringify({ token: bad }) ?? '{}') as { token?: unknown }).token;
          if (outcome === 'connected' && namespace === '/' && (arrived === undefined || arrived === null || arrived === '')) return;
          expect(outcome).toMatch(/^refused:.*\S/);
        }),
      ),
      parameters(30, 10),
    );
    const dashboard = connect(`${coordinator.url}/admin`, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      auth: { token: coordinator.adminToken },
    });
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(fc.constant('subscribe'), fc.string({ minLength: 1, maxLength: 30 })),
          mutated({ federationId: 'no-such-federation' }),
          (event, payload) =>
            survives([event, payload], async () => {
              const reply = await dashboard
                .timeout(5_000)
                .emitWithAck(event, payload)
                .catch(() => 'silence');
              if (!isRefusal(reply)) throw new Error(`admin "${event}" was answered ${JSON.stringify(reply)?.slice(0, 300)}`);
            }),
        ),
        parameters(20, 15),
      );
    } finally {
      dashboard.close();
    }
  }, 90_000);

  it('answers every REST route called with bad input with a 4xx and a reason, and lives', async () => {
    await fc.assert(
      fc.asyncProperty(restRequests(routes), (req: RestRequest) =>
        survives(req, async () => {
          const token = req.caller === 'admin' ? coordinator.adminToken : req.caller === 'garbage' ? req.garbageToken : undefined;
          const res = await fetch(`${coordinator.url}${req.path}`, {
            method: req.method,
            headers: { 'content-type': req.contentType, ...(token ? { authorization: `Bearer ${token}` } : {}) },
            ...(req.body === undefined || req.method === 'GET' ? {} : { body: req.body }),
          });
          const text = await res.text();
          expect(res.status, text.slice(0, 300)).toBeLessThan(500);
          if (req.method !== 'GET' && req.caller !== 'admin') expect(res.status).toBeGreaterThanOrEqual(400);
          if (res.status >= 400) expect((JSON.parse(text) as { reason?: unknown }).reason).toMatch(/\S/);
        }),
      ),
      parameters(300, 25),
    );
  }, 90_000);

  it('left stored federations and rounds as they were and stayed within its memory budget', async () => {
    await assertAlive();
    expect(await storedState()).toEqual(before);
    console.log(`fuzz RSS: idle ${(idleRss / 2 ** 20).toFixed(0)} MiB, peak ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
    expect(peakRss).toBeLessThanOrEqual(idleRss + UPLOAD_BUDGET_BYTES + EVALUATION_THREAD_BYTES + RSS_SLACK_BYTES);
  });
});
