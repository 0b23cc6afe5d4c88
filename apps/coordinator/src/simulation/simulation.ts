import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strategyOf, type FederationConfig, type RoundRecord } from '@flock/fl-core';
import type { NodeBackend } from '@flock/fl-core/node';
import { startCoordinator } from '../coordinator.ts';
import { CoordinatorClient, type RetryPolicy } from '../cli/coordinatorClient.ts';
import type { ByzantinePlan } from './byzantine.ts';
import { drawByzantineDevices, drawSlowDevices, NO_MISBEHAVIOUR, type DeviceBehaviour } from './deviceBehaviour.ts';
import { DevicePool } from './devicePool.ts';
import { RoundLedger, type RoundReport } from './roundLedger.ts';

export interface SimulationPlan {
  config: FederationConfig;
  /** Virtual devices to run; the federation's partition has this many shards. */
  devices: number;
  /**
   * Absent: a coordinator is started in this process on a free port with a temporary data directory.
   * `retry`: how long REST calls wait for it when it stops answering (a restart); the devices reconnect on their own.
   */
  server?: { url: string; token: string; retry?: RetryPolicy };
  backend?: NodeBackend;
  /** The in-process coordinator's evaluation backend (default cpu); webgpu makes full test-set evaluation cheap on a GPU. */
  evalBackend?: NodeBackend;
  /** Absent: one per core, one on webgpu (see DevicePool). */
  threads?: number;
  /** Let tfjs and Dawn print their notes and warnings (flockctl --verbose). */
  verbose?: boolean;
  /** Dropouts and slow devices; absent: every device answers every round at its own speed. */
  behaviour?: DeviceBehaviour;
  /** Fraction of the devices that are slow (by `behaviour.slowFactor`). */
  slowFraction?: number;
  /** Devices that corrupt their updates (a seeded draw of this fraction). */
  byzantine?: ByzantinePlan;
}

export interface SimulationSummary {
  roundsToTarget: number | null;
  bestAccuracy: number | null;
  /** Rounds completed (in async mode: aggregations). */
  rounds: number;
  /** Completed plus abandoned attempts. */
  roundsAttempted: number;
  /** Dropouts over the whole simulation. */
  dropped: number;
  wallSeconds: number;
  backend: string;
  threads: number;
  /** The federation's strategy, and the privacy spent after its last round (null without DP). */
  strategy: string;
  epsilon: number | null;
}

const POLL_MS = 200;
/** The event log (abandoned rounds) is read every this many polls, and on each new round. */
const EVENT_POLLS = 5;

/** What following a federation's rounds asks of the coordinator. */
export type RoundSource = Pick<CoordinatorClient, 'federation' | 'rounds' | 'events'>;

/** Reports each round as it is stored, until the federation finishes or stops; gives every round seen. */
export async function followRounds(
  client: RoundSource,
  id: string,
  ledger: RoundLedger,
  onRound: (r: RoundReport) => void,
  pollMs = POLL_MS,
): Promise<RoundRecord[]> {
  const seen: RoundRecord[] = [];
  for (let poll = 0; ; poll++) {
    // The status first, then the rounds: a federation reads as finished only once its last round is stored,
    // so rounds read after that status hold the last round (read together, the last round could slip between).
    const summary = await client.federation(id);
    const rounds = await client.rounds(id);
    const fresh = rounds.slice(seen.length);
    const over = summary.status === 'finished' || summary.status === 'stopped';
    if (fresh.length > 0 || over || poll % EVENT_POLLS === 0) ledger.noteEvents(await client.events(id));
    for (const r of fresh) {
      seen.push(r);
      onRound(ledger.report(r));
    }
    if (over) return seen;
    await sleep(pollMs);
  }
}
const JOIN_TIMEOUT_MS = 300_000;

/**
 * Runs a federation end to end: coordinator (own or remote), the federation from `config`, N virtual
 * devices over real Socket.IO in a thread pool, then the rounds until the federation finishes.
 * `onRound` sees each round as soon as it is stored.
 */
export async function runSimulation(plan: SimulationPlan, onRound: (r: RoundReport) => void, onError: (m: string) => void): Promise<SimulationSummary> {
  const started = performance.now();
  // The device threads load tfjs while the coordinator starts.
  const [pool, local] = await settleBoth(
    DevicePool.start({
      devices: plan.devices,
      verbose: plan.verbose ?? false,
      ...(plan.threads ? { threads: plan.threads } : {}),
      ...(plan.backend ? { backend: plan.backend } : {}),
    }),
    plan.server ? Promise.resolve(null) : startLocalCoordinator(plan.evalBackend ?? 'cpu', plan.verbose ?? false),
  );
  const client = plan.server ? new CoordinatorClient(plan.server.url, plan.server.token, plan.server.retry, '--server') : local!.client;
  const id = plan.config.id;
  const behaviour = plan.behaviour ?? NO_MISBEHAVIOUR;
  const ledger = new RoundLedger();
  try {
    await client.createFederation(plan.config);
    const deviceIds = Array.from({ length: plan.devices }, (_, i) => `${id}-dev-${String(i).padStart(5, '0')}`);
    pool.startDevices({
      serverUrl: client.url,
      federationId: id,
      deviceIds,
      behaviour,
      slowDeviceIds: drawSlowDevices(deviceIds, plan.slowFraction ?? 0, behaviour.seed),
      ...(plan.byzantine
        ? { byzantine: { mode: plan.byzantine.mode, deviceIds: drawByzantineDevices(deviceIds, plan.byzantine.fraction, behaviour.seed) } }
        : {}),
      onError,
      onDropped: (_deviceId, round) => ledger.noteDropped(round),
    });
    await waitFor(
      async () => (await client.devices(id)).filter((d) => d.connected && d.state === 'waiting-for-round').length >= plan.devices,
      JOIN_TIMEOUT_MS,
      `${plan.devices} devices to join`,
    );
    await client.start(id);
    const seen = await followRounds(client, id, ledger, onRound);
    const target = plan.config.targetAccuracy;
    const reached = target === undefined ? undefined : seen.find((r) => (r.accuracy ?? 0) >= target);
    const accuracies = seen.map((r) => r.accuracy).filter((a): a is number => a !== null);
    return {
      roundsToTarget: reached?.round ?? null,
      bestAccuracy: accuracies.length ? Math.max(...accuracies) : null,
      rounds: seen.length,
      roundsAttempted: seen.length + ledger.abandoned,
      dropped: ledger.droppedTotal,
      wallSeconds: (performance.now() - started) / 1000,
      backend: pool.backend.backend,
      threads: pool.threads,
      strategy: strategyOf(plan.config).name,
      epsilon: seen.at(-1)?.epsilon ?? null,
    };
  } finally {
    await pool.close();
    await local?.close();
  }
}

/** Both results, or the first failure after closing whichever of the two did start. */
async function settleBoth<A extends { close(): Promise<void> }, B extends { close(): Promise<void> } | null>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [ra, rb] = await Promise.allSettled([a, b]);
  if (ra.status === 'fulfilled' && rb.status === 'fulfilled') return [ra.value, rb.value];
  if (ra.status === 'fulfilled') await ra.value.close();
  if (rb.status === 'fulfilled') await rb.value?.close();
  throw ra.status === 'rejected' ? ra.reason : (rb as PromiseRejectedResult).reason;
}

async function startLocalCoordinator(evalBackend: NodeBackend, verbose: boolean): Promise<{ client: CoordinatorClient; close(): Promise<void> }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'flock-sim-'));
  const adminToken = randomBytes(16).toString('hex');
  const coordinator = await startCoordinator({
    port: 0,
    host: '127.0.0.1',
    dataDir,
    adminToken,
    logLevel: 'silent',
    evaluation: { backend: evalBackend, verbose },
  });
  return {
    client: new CoordinatorClient(coordinator.url, adminToken),
    async close() {
      await coordinator.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(POLL_MS);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
