// The coordinator under abuse (issue 15), one real coordinator process per scenario (temp data dir):
//  uploads:     N devices in a started round each announce the largest update allowed and trickle
//               chunks; RSS idle, peak (every 100 ms) and after all disconnect, against the upload budget.
//  connections: many held Socket.IO connections (in child processes) while /api/health is timed.
//  flood:       connections sending bad updates at a fixed rate; event-log rows written per second of flood.
// `npm run bench -- abuse [--scenarios uploads,connections,flood] [--devices 12] [--connections 5000] ...`
import { fork, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { MAX_UPDATE_BYTES, type EventLogEntry } from '@flock/fl-core';
import { CoordinatorProcess } from '../src/testing/coordinatorProcess.ts';
import { admin, benchFederation, startedFederation } from './abuse/benchDevice.ts';

const { values } = parseArgs({
  options: {
    scenarios: { type: 'string', default: 'uploads,connections,flood' },
    devices: { type: 'string', default: '12' },
    'budget-mb': { type: 'string', default: '256' },
    'chunk-kb': { type: 'string', default: '256' },
    'trickle-ms': { type: 'string', default: '100' },
    'upload-seconds': { type: 'string', default: '15' },
    'settle-seconds': { type: 'string', default: '5' },
    'after-seconds': { type: 'string', default: '5' },
    connections: { type: 'string', default: '5000' },
    'client-processes': { type: 'string', default: '1' },
    'health-requests': { type: 'string', default: '500' },
    'flood-connections': { type: 'string', default: '10' },
    'flood-rate': { type: 'string', default: '50' },
    'flood-seconds': { type: 'string', default: '10' },
  },
});
const num = (name: keyof typeof values): number => Number(values[name]);
const MiB = 2 ** 20;
const budgetBytes = num('budget-mb') * MiB;
/** Limits raised where a scenario is not about them, so its traffic reaches the handlers. */
const UNLIMITED_RATES = { FLOCK_RATE_LIMIT_PER_MINUTE: '100000000', FLOCK_SOCKET_EVENTS_PER_SECOND: '1000000', FLOCK_SOCKET_EVENT_BURST: '1000000' };
const MANY_PER_IP = { FLOCK_MAX_CONNECTIONS_PER_IP: '1000000' };

async function uploads() {
  const n = num('devices');
  const coordinator = await CoordinatorProcess.launch({ env: { ...UNLIMITED_RATES, ...MANY_PER_IP, FLOCK_UPLOAD_BUDGET_BYTES: String(budgetBytes) } });
  try {
    const { devices, round } = await startedFederation(coordinator, benchFederation('abuse-uploads', 'mnist-cnn', n), n);
    const idle = await settledRss(coordinator);
    const peak = new RssSampler(coordinator);
    const header = { federationId: 'abuse-uploads', round, numExamples: 10, metrics: { loss: 1, accuracy: 0.1 } };
    // The largest size the protocol allows; if the coordinator holds this round to less (its model's size), that instead.
    const modelBytes = (await admin(coordinator, 'GET', '/api/federations/abuse-uploads/model.flkw')).byteLength;
    const first = (await devices[0]!.socket.emitWithAck('update:begin', { ...header, totalBytes: MAX_UPDATE_BYTES })) as Ack;
    const totalBytes = first.ok ? MAX_UPDATE_BYTES : modelBytes;
    const chunk = new Uint8Array(num('chunk-kb') * 1024).map(() => Math.floor(Math.random() * 256));
    const until = Date.now() + num('upload-seconds') * 1000;
    const reasons = new Set<string>();
    let begun = 0;
    let bytesAcked = 0;
    await Promise.all(
      devices.map(async ({ socket }) => {
        const begin = (await socket.emitWithAck('update:begin', { ...header, totalBytes })) as Ack;
        if (!begin.ok) return void reasons.add(begin.reason);
        begun++;
        // Never the last chunk: an attacker holds what it announced instead of finishing.
        for (let offset = 0; offset + 2 * chunk.byteLength <= totalBytes && Date.now() < until; offset += chunk.byteLength) {
          const ack = (await socket.emitWithAck('update:chunk', { federationId: header.federationId, round, offset, data: chunk })) as Ack;
          if (!ack.ok) return void reasons.add(ack.reason);
          bytesAcked += chunk.byteLength;
          await sleep(num('trickle-ms'));
        }
      }),
    );
    const rssPeak = peak.stop();
    for (const d of devices) d.socket.close();
    await sleep(num('settle-seconds') * 1000);
    const after = await medianRss(coordinator, num('after-seconds'));
    return {
      devices: n,
      announcedBytes: totalBytes,
      maxUpdateBytes: MAX_UPDATE_BYTES,
      modelBytes,
      uploadsBegun: begun,
      bytesAckedMB: mb(bytesAcked),
      refusals: [...reasons].slice(0, 3),
      rssIdleMB: mb(idle),
      rssPeakMB: mb(rssPeak),
      rssAfterMB: mb(after),
      budgetMB: num('budget-mb'),
      peakWithinBudget: rssPeak <= idle + budgetBytes,
      afterWithin10pct: after <= idle * 1.1,
      alive: coordinator.death() === null,
    };
  } finally {
    await coordinator.stop();
  }
}

async function connections() {
  const total = num('connections');
  const processes = num('client-processes');
  const coordinator = await CoordinatorProcess.launch({ env: { ...UNLIMITED_RATES, ...MANY_PER_IP } });
  const children: ReturnType<typeof fork>[] = [];
  try {
    const rssIdle = await settledRss(coordinator);
    const idleHealth = await healthLatency(coordinator, num('health-requests'));
    const started = Date.now();
    const held = await Promise.all(
      Array.from({ length: processes }, (_, i) => {
        const share = Math.floor(total / processes) + (i < total % processes ? 1 : 0);
        const child = fork(fileURLToPath(new URL('./abuse/heldConnections.ts', import.meta.url)), [coordinator.url, String(share)], {
          execArgv: ['--import', 'tsx'],
        });
        children.push(child);
        return new Promise<{ connected: number; failed: number; firstError: string | null }>((resolve, reject) => {
          child.once('message', (m) => resolve(m as { connected: number; failed: number; firstError: string | null }));
          child.once('exit', (code) => reject(new Error(`connection holder exited with ${code}`)));
        });
      }),
    );
    const openSeconds = (Date.now() - started) / 1000;
    const rssHeld = coordinator.rssBytes();
    const loaded = await healthLatency(coordinator, num('health-requests'));
    return {
      connections: total,
      held: held.reduce((s, h) => s + h.connected, 0),
      failed: held.reduce((s, h) => s + h.failed, 0),
      firstError: held.find((h) => h.firstError)?.firstError ?? null,
      clientProcesses: processes,
      openSeconds: round1(openSeconds),
      rssIdleMB: mb(rssIdle),
      rssHeldMB: mb(rssHeld),
      healthRequests: num('health-requests'),
      healthIdleP50Ms: idleHealth.p50,
      healthIdleP99Ms: idleHealth.p99,
      healthP50Ms: loaded.p50,
      healthP99Ms: loaded.p99,
      healthFailed: loaded.failed,
      p99Under100ms: loaded.p99 < 100,
      alive: coordinator.death() === null,
    };
  } finally {
    for (const c of children) c.disconnect();
    await coordinator.stop();
  }
}

async function flood() {
  const n = num('flood-connections');
  const rate = num('flood-rate');
  const seconds = num('flood-seconds');
  // Socket event limits stay at their defaults: they are part of what an attacker meets.
  const coordinator = await CoordinatorProcess.launch({ env: MANY_PER_IP });
  try {
    const id = 'abuse-flood';
    const { devices, round } = await startedFederation(coordinator, benchFederation(id, 'mnist-mlp', n), n);
    const garbage = new Uint8Array(256).map(() => Math.floor(Math.random() * 256));
    const bad = { federationId: id, round, numExamples: 10, metrics: { loss: 1, accuracy: 0.1 }, payload: garbage };
    let sent = 0;
    let refused = 0;
    let unanswered = 0;
    const floodStart = Date.now();
    await Promise.all(
      devices.map(async ({ socket }) => {
        const replies: Promise<void>[] = [];
        for (let i = 0; i < rate * seconds; i++) {
          sent++;
          replies.push(
            socket
              .timeout(5_000)
              .emitWithAck('update', bad)
              .then(
                (r: Ack) => void (r.ok ? 0 : refused++),
                () => void unanswered++,
              ),
          );
          await sleep(floodStart + ((i + 1) * 1000) / rate - Date.now());
        }
        await Promise.all(replies);
      }),
    );
    const floodSeconds = (Date.now() - floodStart) / 1000;
    await sleep(1_000);
    const maxRows = 5_000;
    const events = JSON.parse(new TextDecoder().decode(await admin(coordinator, 'GET', `/api/federations/${id}/events?limit=${maxRows}`))) as (EventLogEntry & {
      count?: number;
    })[];
    const rows = events.filter((e) => Date.parse(e.at) >= floodStart);
    for (const d of devices) d.socket.close();
    return {
      connections: n,
      ratePerConnection: rate,
      floodSeconds: round1(floodSeconds),
      sent,
      refused,
      unanswered,
      eventRows: rows.length,
      // The route returns at most the newest 5,000: at that many, the flood wrote at least this many rows.
      eventRowsIsLowerBound: events.length >= maxRows,
      rowsPerSecond: round1(rows.length / floodSeconds),
      rejectionsCounted: rows.reduce((s, e) => s + (e.count ?? 1), 0),
      alive: coordinator.death() === null,
    };
  } finally {
    await coordinator.stop();
  }
}

type Ack = { ok: true } | { ok: false; reason: string };

/** The peak of the coordinator's RSS, sampled every 100 ms until stopped. */
class RssSampler {
  private peak: number;
  private readonly timer: NodeJS.Timeout;
  constructor(coordinator: CoordinatorProcess) {
    this.peak = coordinator.rssBytes();
    this.timer = setInterval(() => (this.peak = Math.max(this.peak, coordinator.rssBytes())), 100);
  }
  stop(): number {
    clearInterval(this.timer);
    return this.peak;
  }
}

/** RSS once start-up's garbage is collected: the first 1 s median within 2% of the one before (at most 20 s). */
async function settledRss(coordinator: CoordinatorProcess): Promise<number> {
  let previous = await medianRss(coordinator, 1);
  for (let i = 0; i < 20; i++) {
    const current = await medianRss(coordinator, 1);
    if (Math.abs(current - previous) <= 0.02 * previous) return current;
    previous = current;
  }
  return previous;
}

async function medianRss(coordinator: CoordinatorProcess, seconds: number): Promise<number> {
  const samples: number[] = [];
  for (const end = Date.now() + seconds * 1000; Date.now() < end; await sleep(100)) samples.push(coordinator.rssBytes());
  return percentile(samples, 0.5);
}

/** Sequential GET /api/health: p50 and p99 in milliseconds. */
async function healthLatency(coordinator: CoordinatorProcess, requests: number): Promise<{ p50: number; p99: number; failed: number }> {
  const times: number[] = [];
  let failed = 0;
  for (let i = 0; i < requests; i++) {
    const t0 = performance.now();
    const ok = await fetch(`${coordinator.url}/api/health`).then(
      (r) => r.arrayBuffer().then(() => r.ok),
      () => false,
    );
    times.push(performance.now() - t0);
    if (!ok) failed++;
  }
  return { p50: round1(percentile(times, 0.5)), p99: round1(percentile(times, 0.99)), failed };
}

function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

/** Held connections need file descriptors: below `needed`, run again under a shell that raises the soft limit (up to the hard one). */
function reexecWithFileLimit(needed: number): void {
  const line = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  const [soft, hard] = [line?.[1], line?.[2]].map((v) => (v === 'unlimited' || v === undefined ? Infinity : Number(v)));
  if (soft! >= needed || process.env.FLOCK_ABUSE_REEXEC) return;
  const limit = Math.min(needed, hard!);
  if (limit < needed) console.error(`abuse bench: open files limited to ${hard}; ${needed} wanted, connections beyond that will fail`);
  const argv = [process.execPath, ...process.execArgv, ...process.argv.slice(1)];
  const result = spawnSync('sh', ['-c', `ulimit -n ${limit} && exec "$@"`, 'sh', ...argv], {
    stdio: 'inherit',
    env: { ...process.env, FLOCK_ABUSE_REEXEC: '1' },
  });
  process.exit(result.status ?? 1);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

function mb(bytes: number): number {
  return Math.round(bytes / MiB);
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

// Last, so the class and helpers above are initialised before the scenarios run.
reexecWithFileLimit(num('connections') + 2_000);
for (const scenario of values.scenarios.split(',')) {
  const run = { uploads, connections, flood }[scenario];
  if (!run) throw new Error(`unknown scenario ${scenario}; choose from uploads, connections, flood`);
  console.log(JSON.stringify({ bench: 'abuse', scenario, ...(await run()) }));
}
