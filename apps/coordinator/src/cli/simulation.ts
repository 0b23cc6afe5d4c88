import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FederationConfig, RoundRecord } from '@flock/fl-core';
import { chooseNodeBackend, type NodeBackend } from '@flock/fl-core/node';
import { startCoordinator } from '../coordinator.ts';
import { CoordinatorClient } from './coordinatorClient.ts';
import { DevicePool } from './devicePool.ts';

export interface SimulationPlan {
  config: FederationConfig;
  /** Virtual devices to run; the federation's partition has this many shards. */
  devices: number;
  /** Absent: a coordinator is started in this process on a free port with a temporary data directory. */
  server?: { url: string; token: string };
  backend?: NodeBackend;
  /** The in-process coordinator's evaluation backend (default cpu); webgpu makes full test-set evaluation cheap on a GPU. */
  evalBackend?: NodeBackend;
  threads?: number;
}

export interface SimulationSummary {
  roundsToTarget: number | null;
  bestAccuracy: number | null;
  rounds: number;
  wallSeconds: number;
  backend: string;
  threads: number;
}

const POLL_MS = 200;
const JOIN_TIMEOUT_MS = 300_000;

/**
 * Runs a federation end to end: coordinator (own or remote), the federation from `config`, N virtual
 * devices over real Socket.IO in a thread pool, then the rounds until the federation finishes.
 * `onRound` sees each round as soon as it is stored.
 */
export async function runSimulation(plan: SimulationPlan, onRound: (r: RoundRecord) => void, onError: (m: string) => void): Promise<SimulationSummary> {
  const started = performance.now();
  const local = plan.server ? null : await startLocalCoordinator(plan.evalBackend ?? 'cpu');
  const client = plan.server ? new CoordinatorClient(plan.server.url, plan.server.token) : local!.client;
  const id = plan.config.id;
  const threads = plan.threads ?? availableParallelism();
  let pool: DevicePool | null = null;
  try {
    await client.createFederation(plan.config);
    const deviceIds = Array.from({ length: plan.devices }, (_, i) => `${id}-dev-${String(i).padStart(5, '0')}`);
    const joined = await DevicePool.start({ serverUrl: client.url, federationId: id, deviceIds, threads, onError, ...(plan.backend ? { backend: plan.backend } : {}) });
    pool = joined.pool;
    await waitFor(async () => (await client.devices(id)).filter((d) => d.connected && d.state === 'waiting-for-round').length >= plan.devices, JOIN_TIMEOUT_MS, `${plan.devices} devices to join`);
    await client.start(id);
    const seen: RoundRecord[] = [];
    for (;;) {
      const [summary, rounds] = await Promise.all([client.federation(id), client.rounds(id)]);
      for (const r of rounds.slice(seen.length)) {
        seen.push(r);
        onRound(r);
      }
      if (summary.status === 'finished' || summary.status === 'stopped') break;
      await sleep(POLL_MS);
    }
    const target = plan.config.targetAccuracy;
    const reached = target === undefined ? undefined : seen.find((r) => (r.accuracy ?? 0) >= target);
    const accuracies = seen.map((r) => r.accuracy).filter((a): a is number => a !== null);
    return {
      roundsToTarget: reached?.round ?? null,
      bestAccuracy: accuracies.length ? Math.max(...accuracies) : null,
      rounds: seen.length,
      wallSeconds: (performance.now() - started) / 1000,
      backend: joined.backend.backend,
      threads: Math.min(threads, plan.devices),
    };
  } finally {
    await pool?.close();
    await local?.close();
  }
}

async function startLocalCoordinator(evalBackend: NodeBackend): Promise<{ client: CoordinatorClient; close(): Promise<void> }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'flock-sim-'));
  const adminToken = randomBytes(16).toString('hex');
  const prepareEvaluation = async () => void (await chooseNodeBackend(evalBackend));
  const coordinator = await startCoordinator({ port: 0, host: '127.0.0.1', dataDir, adminToken, logLevel: 'silent', prepareEvaluation });
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
