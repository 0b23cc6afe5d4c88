// Several coordinators (issue 18): N light devices (sockets answering each round:start at once with a precomputed
// delta, no training) connected directly to K compiled coordinators, round robin, sharing a throwaway PostgreSQL
// and Redis per configuration. One JSON line per configuration: the stored rounds' durationMs (round open to close),
// each coordinator's CPU seconds per round, peak RSS, and RSS and live heap per device (read after full garbage
// collections), both over all devices and over the second half to join (marginal*: the cost of one more device, without
// each process's one-off growth), and with K >= 2 a failover: the lease holder
// is SIGKILLed as the round after the measured ones opens; its devices reconnect to the others (as behind a balancer).
// A round closes when every device answered or at its deadline (--deadline-ms) with what came: an update the
// coordinators refused (updatesRefused) shows as fewer participants and a round as long as the deadline.
// Each configuration starts once the machine settled (1-minute load average under --settle-load, waiting at most
// --settle-s): right after 10,000 devices the next configuration's CPU per round read up to 30% higher.
// `npm run bench -- scaleout [--devices 1000,5000,10000] [--coordinators 1,2,3] [--rounds 3] [--device-processes 2] [--deadline-ms 30000] [--settle-load 1.5] [--settle-s 180]`
// With SCALEOUT_HEAPSNAPSHOT_DIR=<folder> set, each coordinator also writes a heap snapshot at each of its three memory
// readings (idle, halfway, connected) there, named <coordinator>-<1|2|3>.heapsnapshot; the memory figures are then skewed.
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { FederationConfig } from '@flock/fl-core';
import pg from 'pg';
import { CoordinatorProcess } from '../src/testing/coordinatorProcess.ts';
import { PostgresServer } from '../src/testing/postgresServer.ts';
import { RedisServer } from '../src/testing/redisServer.ts';
import { restOk } from '../src/testing/restCalls.ts';
import type { FleetCommand, FleetReport } from './scaleout/deviceFleet.ts';

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '1000,5000,10000' },
    coordinators: { type: 'string', default: '1,2,3' },
    rounds: { type: 'string', default: '3' },
    'device-processes': { type: 'string', default: '2' },
    'deadline-ms': { type: 'string', default: '30000' },
    'settle-load': { type: 'string', default: '1.5' },
    'settle-s': { type: 'string', default: '180' },
  },
});
const list = (s: string) => s.split(',').map(Number);
const ROUNDS = Number(values.rounds);
const DEVICE_PROCESSES = Number(values['device-processes']);
const TOKEN = 'scaleout-bench-admin-token';
const FEDERATION_ID = 'scaleout';
const DEADLINE_MS = Number(values['deadline-ms']);
const TIMEOUT_MS = 600_000;
/** The measured rounds and the failover round, each at most its deadline, and some time to store them. */
const ROUNDS_TIMEOUT_MS = (ROUNDS + 1) * DEADLINE_MS + 120_000;
const POLL_MS = 50;
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString());
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MEMORY_DIR = mkdtempSync(join(tmpdir(), 'flock-scaleout-'));
const COORDINATOR_ENV = {
  // Every device comes from 127.0.0.1, straight to the coordinator: no per-IP or per-connection limit may refuse them.
  FLOCK_MAX_CONNECTIONS_PER_IP: '1000000',
  FLOCK_RATE_LIMIT_PER_MINUTE: '100000000',
  FLOCK_SOCKET_EVENTS_PER_SECOND: '1000000',
  FLOCK_SOCKET_EVENT_BURST: '1000000',
  NODE_OPTIONS: `--import=${new URL('./scaleout/collectGarbageOnSignal.mjs', import.meta.url).href}`,
  SCALEOUT_MEMORY_DIR: MEMORY_DIR,
};

interface CoordinatorFigures {
  id: string;
  devices: number;
  cpuSecondsPerRound: number;
  rssIdleMB: number;
  /** After the first half of the devices joined. */
  rssHalfwayMB: number;
  rssConnectedMB: number;
  peakRssMB: number;
  rssPerDeviceKB: number;
  heapPerDeviceKB: number;
  /** Over the second half of the devices only: what one more device costs. */
  marginalRssPerDeviceKB: number;
  marginalHeapPerDeviceKB: number;
}

// The coordinators run the compiled build: build it once here, not in three starting processes at once.
execFileSync(process.execPath, ['scripts/ensure-built.mjs'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
/** KB per device over all coordinators (weighted by their devices), for all devices and for the second half (marginal). */
interface PerDeviceKB {
  rss: number;
  heap: number;
  marginalRss: number;
  marginalHeap: number;
}
const oneCoordinatorKB = new Map<number, PerDeviceKB>();
/** Stops the configuration running now: Ctrl-C leaves no coordinator, PostgreSQL or Redis behind. */
let interrupted: (() => Promise<void>) | null = null;
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => void (interrupted ?? (async () => undefined))().finally(() => process.exit(130)));
const benchStarted = Date.now();
for (const devices of list(values.devices)) {
  for (const coordinators of list(values.coordinators)) {
    await settled();
    const line = await measure(devices, coordinators).catch((err: unknown) => ({
      bench: 'scaleout',
      devices,
      coordinators,
      error: err instanceof Error ? err.message : String(err),
    }));
    console.log(JSON.stringify(line));
  }
}
console.error(`scaleout: all configurations in ${Math.round((Date.now() - benchStarted) / 1000)} s`);
rmSync(MEMORY_DIR, { recursive: true, force: true });

function federationConfig(devices: number, coordinators: number): FederationConfig {
  return FederationConfig.parse({
    id: FEDERATION_ID,
    name: `scaleout ${devices} on ${coordinators}`,
    model: 'tabular-mlp',
    // Devices with data of their own: nothing is downloaded, trained or evaluated by the coordinators.
    dataset: { kind: 'device', schema: { type: 'csv', features: ['a', 'b', 'c'], label: 'kind', classes: ['x', 'y'] } },
    training: { epochs: 1, batchSize: 10, learningRate: 0.1 },
    // One more round than measured with several coordinators: the one whose owner is killed.
    maxRounds: ROUNDS + (coordinators >= 2 ? 1 : 0),
    minDevices: devices,
    clientsPerRound: 'all',
    deadline: { mode: 'fixed', ms: DEADLINE_MS },
    // At the deadline the round closes with whatever came (never redone), so a lost update cannot stall the bench.
    quorum: 0,
    evalExamples: 1,
    modelSeed: 7,
    codec: { uplink: 'float32', downlink: 'float32' },
  });
}

async function measure(devices: number, k: number) {
  const started = Date.now();
  const load1 = loadavg()[0]!;
  const [postgres, redis] = await Promise.all([PostgresServer.launch(), RedisServer.launch()]);
  const db = new pg.Client({ connectionString: postgres.url });
  await db.connect();
  const coordinators: CoordinatorProcess[] = [];
  const fleets: ChildProcess[] = [];
  const cleanUp = async () => {
    for (const fleet of fleets) if (fleet.connected) fleet.disconnect();
    await Promise.all(fleets.map((f) => (f.exitCode === null ? new Promise((resolve) => f.once('exit', resolve)) : null)));
    await db.end();
    await Promise.all(coordinators.map((c) => c.stop()));
    await redis.stop();
    await postgres.stop();
  };
  interrupted = cleanUp;
  try {
    const env = (i: number) => ({ ...COORDINATOR_ENV, FLOCK_DATABASE_URL: postgres.url, FLOCK_REDIS_URL: redis.url, FLOCK_COORDINATOR_ID: `coordinator-${i}` });
    coordinators.push(
      ...(await Promise.all(Array.from({ length: k }, (_, i) => CoordinatorProcess.launch({ adminToken: TOKEN, env: env(i), run: 'compiled' })))),
    );
    await restOk(coordinators[0]!.url, TOKEN, 'POST', '/api/federations', federationConfig(devices, k));
    // A hello to a coordinator that has not heard of the federation yet would be refused.
    await Promise.all(
      coordinators.map((c) => until('every coordinator knows the federation', () => restOk(c.url, TOKEN, 'GET', `/api/federations/${FEDERATION_ID}`))),
    );
    const idle = await liveMemory(coordinators);

    const rounds = new Map<number, number>();
    fleets.push(
      ...Array.from({ length: DEVICE_PROCESSES }, () => {
        const fleet = fork(fileURLToPath(new URL('./scaleout/deviceFleet.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'] });
        fleet.on('message', (report: FleetReport) => {
          if (report.kind === 'round' && !rounds.has(report.round)) rounds.set(report.round, report.at);
        });
        return fleet;
      }),
    );
    // Half the devices, then the rest: what the second half adds is the memory a device costs, without what a process
    // grows once for its first devices (a full-size young generation, compiled code, Redis and Socket.IO buffers).
    const half = Math.floor(devices / 2);
    const joinStarted = Date.now();
    await joinDevices(coordinators, fleets, 0, half);
    const halfway = await liveMemory(coordinators);
    const joins = await joinDevices(coordinators, fleets, half, devices);
    const joinSeconds = (Date.now() - joinStarted) / 1000;
    const connected = await liveMemory(coordinators);
    const cpuBefore = coordinators.map((c) => cpuSeconds(c.pid));

    await restOk(coordinators[0]!.url, TOKEN, 'POST', `/api/federations/${FEDERATION_ID}/start`);
    await until(`${ROUNDS} rounds stored`, async () => (await storedRounds(db)).length >= ROUNDS || rounds.has(ROUNDS + 1), ROUNDS_TIMEOUT_MS);
    const cpuAfter = coordinators.map((c) => cpuSeconds(c.pid));
    const peaks = coordinators.map((c) => peakRssBytes(c.pid));
    const records = (await storedRounds(db)).slice(0, ROUNDS);

    const figures: CoordinatorFigures[] = coordinators.map((_, i) => {
      const mine = devicesOf(i, k, 0, devices);
      const lastHalf = devicesOf(i, k, half, devices);
      return {
        id: `coordinator-${i}`,
        devices: mine,
        cpuSecondsPerRound: round2((cpuAfter[i]! - cpuBefore[i]!) / ROUNDS),
        rssIdleMB: mb(idle[i]!.rss),
        rssHalfwayMB: mb(halfway[i]!.rss),
        rssConnectedMB: mb(connected[i]!.rss),
        peakRssMB: mb(peaks[i]!),
        rssPerDeviceKB: round1((connected[i]!.rss - idle[i]!.rss) / mine / 1024),
        heapPerDeviceKB: round1((connected[i]!.heapUsed - idle[i]!.heapUsed) / mine / 1024),
        marginalRssPerDeviceKB: round1((connected[i]!.rss - halfway[i]!.rss) / lastHalf / 1024),
        marginalHeapPerDeviceKB: round1((connected[i]!.heapUsed - halfway[i]!.heapUsed) / lastHalf / 1024),
      };
    });
    const weighted = (kb: (f: CoordinatorFigures) => number, of: (i: number) => number) =>
      round1(figures.reduce((s, f, i) => s + kb(f) * of(i), 0) / figures.reduce((s, _, i) => s + of(i), 0));
    const all = (i: number) => figures[i]!.devices;
    const secondHalf = (i: number) => devicesOf(i, k, half, devices);
    const perDevice: PerDeviceKB = {
      rss: weighted((f) => f.rssPerDeviceKB, all),
      heap: weighted((f) => f.heapPerDeviceKB, all),
      marginalRss: weighted((f) => f.marginalRssPerDeviceKB, secondHalf),
      marginalHeap: weighted((f) => f.marginalHeapPerDeviceKB, secondHalf),
    };
    if (k === 1) oneCoordinatorKB.set(devices, perDevice);
    const one = oneCoordinatorKB.get(devices);
    const vsOne = (key: keyof PerDeviceKB) => (one === undefined || k === 1 ? null : round2(perDevice[key] / one[key]));
    const durations = records.map((r) => r.durationMs).sort((a, b) => a - b);
    const failedOver = k >= 2 ? await failover(db, coordinators, fleets, rounds) : null;
    return {
      bench: 'scaleout',
      devices,
      coordinators: k,
      rounds: records.length,
      participantsPerRound: records.map((r) => r.participants),
      roundMsMedian: Math.round(durations[Math.floor(durations.length / 2)]!),
      roundMsMax: Math.round(durations.at(-1)!),
      cpuSecondsPerRound: figures.map((f) => f.cpuSecondsPerRound),
      peakRssMB: figures.map((f) => f.peakRssMB),
      rssPerDeviceKB: perDevice.rss,
      rssPerDeviceVsOneCoordinator: vsOne('rss'),
      heapPerDeviceKB: perDevice.heap,
      heapPerDeviceVsOneCoordinator: vsOne('heap'),
      marginalRssPerDeviceKB: perDevice.marginalRss,
      marginalRssPerDeviceVsOneCoordinator: vsOne('marginalRss'),
      marginalHeapPerDeviceKB: perDevice.marginalHeap,
      marginalHeapPerDeviceVsOneCoordinator: vsOne('marginalHeap'),
      failover: failedOver,
      ...(await tally(fleets)),
      perCoordinator: figures,
      deviceProcesses: DEVICE_PROCESSES,
      deviceProcessRssMB: joins.map((j) => mb(j.rssBytes)),
      joinSeconds: round1(joinSeconds),
      load1Before: round2(load1),
      configurationSeconds: Math.round((Date.now() - started) / 1000),
    };
  } catch (err) {
    // A coordinator that died mid-run is the finding: its last output says why.
    const deaths = coordinators.map((c) => c.death()).filter((d) => d !== null);
    const state = await stateOf(db).catch((e: unknown) => `the database could not be read: ${String(e)}`);
    throw new Error([err instanceof Error ? err.message : String(err), state, ...deaths].join('\n'), { cause: err });
  } finally {
    interrupted = null;
    await cleanUp();
  }
}

/** Devices `from`..`to - 1` join, split evenly over the device processes; resolves with each process's report. */
function joinDevices(coordinators: CoordinatorProcess[], fleets: ChildProcess[], from: number, to: number) {
  const count = to - from;
  return within(
    `devices ${from}..${to - 1} joined`,
    Promise.all(
      fleets.map((fleet, p) => {
        const first = from + Math.floor((count * p) / fleets.length);
        const last = from + Math.floor((count * (p + 1)) / fleets.length);
        return new Promise<Extract<FleetReport, { kind: 'joined' }>>((resolve, reject) => {
          const onExit = (code: number | null) => reject(new Error(`the device process exited with ${code}`));
          const listener = (report: FleetReport) => {
            if (report.kind !== 'joined' && report.kind !== 'failed') return;
            fleet.off('message', listener);
            fleet.off('exit', onExit);
            if (report.kind === 'joined') resolve(report);
            else reject(new Error(`devices ${first}..${last - 1} could not join: ${report.reason}`));
          };
          fleet.on('message', listener);
          fleet.once('exit', onExit);
          fleet.send({ kind: 'join', urls: coordinators.map((c) => c.url), federationId: FEDERATION_ID, from: first, to: last } satisfies FleetCommand);
        });
      }),
    ),
  );
}

/** How many of devices `from`..`to - 1` coordinator `i` of `k` holds: device d is connected to coordinator d % k. */
function devicesOf(i: number, k: number, from: number, to: number): number {
  const upTo = (n: number) => Math.floor(n / k) + (i < n % k ? 1 : 0);
  return upTo(to) - upTo(from);
}

/** What every device process heard back: updates acknowledged, and refusals with the first one's reason. */
async function tally(fleets: ChildProcess[]) {
  const tallies = await Promise.all(
    fleets.map(
      (fleet) =>
        new Promise<Extract<FleetReport, { kind: 'tally' }>>((resolve) => {
          const listener = (report: FleetReport) => {
            if (report.kind !== 'tally') return;
            fleet.off('message', listener);
            resolve(report);
          };
          fleet.on('message', listener);
          fleet.send({ kind: 'tally' } satisfies FleetCommand);
        }),
    ),
  );
  return {
    updatesAcknowledged: tallies.reduce((sum, t) => sum + t.acknowledged, 0),
    updatesRefused: tallies.reduce((sum, t) => sum + t.refusals, 0),
    firstRefusal: tallies.find((t) => t.firstRefusal)?.firstRefusal ?? null,
  };
}

/** Kills the lease holder as round ROUNDS + 1 opens; times until another holds the lease and until that round is stored. */
async function failover(db: pg.Client, coordinators: CoordinatorProcess[], fleets: ChildProcess[], rounds: Map<number, number>) {
  const next = ROUNDS + 1;
  await until(`round ${next} opened`, async () => rounds.has(next));
  const holder = await leaseHolder(db);
  const dead = coordinators.findIndex((_, i) => holder === `coordinator-${i}`);
  if (dead < 0) throw new Error(`no coordinator holds the lease (${holder})`);
  const killedAt = Date.now();
  await coordinators[dead]!.kill('SIGKILL');
  const killedMidRound = (await storedRounds(db)).length < next;
  for (const fleet of fleets) fleet.send({ kind: 'move', dead } satisfies FleetCommand);
  const leaseTakenMs = await until('another coordinator holds the lease', async () => {
    const now = await leaseHolder(db);
    return now !== null && now !== holder && Date.now() - killedAt;
  });
  const nextRoundStoredMs = await until(
    `round ${next} stored`,
    async () => (await storedRounds(db)).length >= next && Date.now() - killedAt,
    ROUNDS_TIMEOUT_MS,
  );
  const record = (await storedRounds(db))[next - 1]!;
  return {
    killed: holder,
    killedMidRound,
    killedAfterRoundOpenMs: killedAt - rounds.get(next)!,
    leaseTakenMs,
    nextRoundStoredMs,
    nextRoundMs: Math.round(record.durationMs),
    nextRoundParticipants: record.participants,
  };
}

/** Where the federation stands, for a configuration that failed: its status, stored rounds, the open round's receipts, and the warnings logged. */
async function stateOf(db: pg.Client): Promise<string> {
  const queries = [
    ['federation', 'select status, round from federations where id = $1'],
    ['stored rounds', 'select round, participants, duration_ms from rounds where federation_id = $1 order by round'],
    ['lease', 'select holder, epoch, expires_at from federation_leases where federation_id = $1'],
    ['open round', 'select round, attempt, sealed from shared_rounds where federation_id = $1'],
    ['receipts', 'select round, coordinator_id, count(*) from update_receipts where federation_id = $1 group by 1, 2 order by 1, 2'],
    ['warnings', "select kind, count(*), min(message) as example from events where federation_id = $1 and level <> 'info' group by kind"],
  ] as const;
  const parts: string[] = [];
  // One client runs one query at a time.
  for (const [what, sql] of queries) parts.push(`${what}: ${JSON.stringify((await db.query(sql, [FEDERATION_ID])).rows)}`);
  return parts.join('\n');
}

async function leaseHolder(db: pg.Client): Promise<string | null> {
  const { rows } = await db.query<{ holder: string }>('select holder from federation_leases where federation_id = $1 and expires_at > now()', [FEDERATION_ID]);
  return rows[0]?.holder ?? null;
}

async function storedRounds(db: pg.Client): Promise<{ round: number; durationMs: number; participants: number }[]> {
  const { rows } = await db.query<{ round: number; duration_ms: number; participants: number }>(
    'select round, duration_ms, participants from rounds where federation_id = $1 order by round',
    [FEDERATION_ID],
  );
  return rows.map((r) => ({ round: r.round, durationMs: r.duration_ms, participants: r.participants }));
}

/** User and system CPU time of process `pid` so far (utime + stime in /proc/<pid>/stat). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** Each coordinator's resident memory and live heap after a full garbage collection (collectGarbageOnSignal.mjs writes its usage). */
async function liveMemory(coordinators: CoordinatorProcess[]): Promise<Array<{ rss: number; heapUsed: number }>> {
  await sleep(1_000);
  const file = (c: CoordinatorProcess) => join(MEMORY_DIR, `${c.pid}.json`);
  for (const c of coordinators) {
    rmSync(file(c), { force: true });
    process.kill(c.pid, 'SIGUSR2');
  }
  return Promise.all(
    coordinators.map(async (c) => {
      const usage = await until('a coordinator to write its memory usage', async () => JSON.parse(readFileSync(file(c), 'utf8')) as NodeJS.MemoryUsage);
      return { rss: usage.rss, heapUsed: usage.heapUsed };
    }),
  );
}

/** The most resident memory process `pid` has held (VmHWM). */
function peakRssBytes(pid: number): number {
  return Number(/^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
}

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, ms = TIMEOUT_MS): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => null);
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`${what}: not within ${ms / 1000} s`);
    await sleep(POLL_MS);
  }
}

function within<T>(what: string, work: Promise<T>, ms = TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms / 1000} s`)), ms)));
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** Waits until the 1-minute load average falls under --settle-load, or --settle-s passed. */
async function settled(): Promise<void> {
  const end = Date.now() + Number(values['settle-s']) * 1000;
  while (loadavg()[0]! >= Number(values['settle-load']) && Date.now() < end) await sleep(5_000);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
function mb(bytes: number): number {
  return Math.round(bytes / 1024 / 1024);
}
function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
