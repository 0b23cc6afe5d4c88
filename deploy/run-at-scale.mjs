// `npm run start:scale`: Flock at scale on one machine. PostgreSQL and Redis (or the ones FLOCK_DATABASE_URL and
// FLOCK_REDIS_URL name), three coordinators sharing them, and HAProxy in front with deploy/haproxy.cfg, on one port.
// Ctrl-C or SIGTERM stops everything it started, in order: the balancer, the coordinators, then Redis and PostgreSQL.
// Data and logs stay in the state folder (data/scale), so the next run carries on where this one stopped.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync } from 'node:fs';
import { chown, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureCoordinatorBuilt, ensureWebClientBuilt } from '../scripts/ensure-built.mjs';
import { findHaproxy, findProgram, postgresBinaries, postgresUser, redisAnswers } from '../scripts/localServers.mjs';

const root = new URL('..', import.meta.url).pathname;
const USAGE = `usage: npm run start:scale -- [--port 3000] [--host 0.0.0.0] [--coordinator-ports 3101,3102,3103]
       [--postgres-port 3110] [--redis-port 3111] [--state-dir data/scale]
  FLOCK_DATABASE_URL / FLOCK_REDIS_URL set: use that PostgreSQL / Redis instead of starting one.
  FLOCK_ADMIN_TOKEN set: the coordinators' admin token (else the one kept in the state folder, else a new one).`;
/** deploy/haproxy.cfg lists three coordinators (FLOCK_COORDINATOR_1..3). */
const COORDINATORS = 3;
const READY_MS = { postgres: 60_000, redis: 10_000, coordinator: 120_000, balancer: 15_000 };
const STOP_MS = 15_000;

/** What to install, in Debian's package names, when a program is missing. */
const PACKAGES = { haproxy: 'haproxy', 'redis-server': 'redis-server', PostgreSQL: 'postgresql' };

function options() {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        port: { type: 'string', default: '3000' },
        host: { type: 'string', default: '0.0.0.0' },
        'coordinator-ports': { type: 'string', default: '3101,3102,3103' },
        'postgres-port': { type: 'string', default: '3110' },
        'redis-port': { type: 'string', default: '3111' },
        'state-dir': { type: 'string', default: join(root, 'data/scale') },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (err) {
    fail(`${err.message}\n${USAGE}`, 2);
  }
  if (parsed.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const port = (name, text) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1 || n > 65_535) fail(`--${name} must be a port number from 1 to 65535, not "${text}"\n${USAGE}`, 2);
    return n;
  };
  const coordinatorPorts = parsed['coordinator-ports'].split(',').map((p) => port('coordinator-ports', p.trim()));
  if (coordinatorPorts.length !== COORDINATORS)
    fail(`--coordinator-ports takes ${COORDINATORS} ports, comma-separated (deploy/haproxy.cfg lists ${COORDINATORS} coordinators)`, 2);
  return {
    port: port('port', parsed.port),
    host: parsed.host,
    coordinatorPorts,
    postgresPort: port('postgres-port', parsed['postgres-port']),
    redisPort: port('redis-port', parsed['redis-port']),
    stateDir: resolve(parsed['state-dir']),
    databaseUrl: process.env.FLOCK_DATABASE_URL || null,
    redisUrl: process.env.FLOCK_REDIS_URL || null,
  };
}

function fail(message, code = 1) {
  console.error(message);
  process.exit(code);
}

/** The programs this run needs, or an exit naming the Debian packages that bring the missing ones. */
function programs(settings) {
  const found = {
    haproxy: findHaproxy(),
    'redis-server': settings.redisUrl ? 'unused' : findProgram('redis-server'),
    PostgreSQL: settings.databaseUrl ? 'unused' : postgresBinaries(),
  };
  const missing = Object.keys(found).filter((name) => !found[name]);
  if (missing.length > 0) {
    const packages = missing.map((name) => PACKAGES[name]);
    fail(
      `Not installed: ${missing.join(', ')}. On Debian or Ubuntu: sudo apt-get install ${packages.join(' ')}\n` +
        'This script runs its own copies on their own ports; the system services those packages start are not needed ' +
        `(sudo systemctl disable --now ${packages.join(' ')} keeps them off).` +
        (missing.includes('PostgreSQL') || missing.includes('redis-server')
          ? '\nOr point it at servers you already run: FLOCK_DATABASE_URL=postgres://... and FLOCK_REDIS_URL=redis://...'
          : ''),
    );
  }
  return { haproxy: found.haproxy, redisServer: found['redis-server'], postgresBin: found.PostgreSQL };
}

function portInUse(port, host) {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(true));
    server.listen(port, host, () => server.close(() => done(false)));
  });
}

async function checkPortsFree(settings) {
  const wanted = [
    [settings.port, settings.host, '--port (the balancer)'],
    ...settings.coordinatorPorts.map((p, i) => [p, '127.0.0.1', `--coordinator-ports (coordinator-${i + 1})`]),
    ...(settings.databaseUrl ? [] : [[settings.postgresPort, '127.0.0.1', '--postgres-port']]),
    ...(settings.redisUrl ? [] : [[settings.redisPort, '127.0.0.1', '--redis-port']]),
  ];
  const taken = [];
  for (const [port, host, option] of wanted) if (await portInUse(port, host)) taken.push(`port ${port} (${option})`);
  if (taken.length > 0) {
    fail(`Already in use: ${taken.join(', ')}. Another Flock at scale may be running (stop it), or choose other ports with these options.\n${USAGE}`);
  }
}

async function adminToken(stateDir) {
  if (process.env.FLOCK_ADMIN_TOKEN) return process.env.FLOCK_ADMIN_TOKEN;
  const path = join(stateDir, 'admin-token');
  const kept = existsSync(path) ? (await readFile(path, 'utf8')).trim() : '';
  if (kept) return kept;
  const token = randomBytes(24).toString('base64url');
  await writeFile(path, `${token}\n`, { mode: 0o600 });
  return token;
}

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

async function waitFor(what, ms, ready, died = () => null) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const death = died();
    if (death) throw new Error(`${what} stopped before it was ready (${death})`);
    if (await ready().catch(() => false)) return;
    await sleep(200);
  }
  throw new Error(`${what} was not ready within ${ms / 1000} s`);
}

const healthy = async (url) => (await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(2_000) })).ok;

/** A long-running program started by this script: its own process group (Ctrl-C reaches only this script, which stops them in order), output to a log file. */
class Service {
  constructor(name, logFile, program, args, env = {}) {
    this.name = name;
    this.logFile = logFile;
    this.stopping = false;
    const log = openSync(logFile, 'a');
    this.child = spawn(program, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', log, log], detached: true });
    closeSync(log);
    this.exit = null;
    this.exited = new Promise((done) =>
      this.child.once('exit', (code, signal) => {
        this.exit = signal ?? `exit code ${code}`;
        done();
      }),
    );
    this.child.once('error', (err) => (this.exit = err.message));
  }

  /** Once it runs: a line for people when it ends on its own. */
  watch(consequence) {
    this.exited.then(() => {
      if (!this.stopping) console.error(`${this.name} stopped on its own (${this.exit}): ${consequence} Its log: ${this.logFile}`);
    });
  }

  async stop() {
    this.stopping = true;
    if (this.exit) return;
    this.child.kill('SIGTERM');
    const killer = setTimeout(() => this.child.kill('SIGKILL'), STOP_MS);
    await this.exited;
    clearTimeout(killer);
  }
}

/** A PostgreSQL cluster of its own in the state folder, started with pg_ctl (as the postgres user under root). */
class Postgres {
  constructor(bin, dir, port, logFile) {
    this.bin = bin;
    this.dataDir = join(dir, 'data');
    this.port = port;
    this.logFile = logFile;
    this.started = false;
    this.runAs = postgresUser();
  }

  get url() {
    return `postgres://flock@127.0.0.1:${this.port}/flock`;
  }

  run(program, args) {
    const command = this.runAs ? ['runuser', ['-u', this.runAs.name, '--', join(this.bin, program), ...args]] : [join(this.bin, program), args];
    const result = spawnSync(...command, { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${program} failed: ${(result.stderr || result.stdout || result.error?.message || '').trim()}`);
  }

  async start() {
    if (!existsSync(join(this.dataDir, 'PG_VERSION'))) {
      await mkdir(join(this.dataDir, '..'), { recursive: true });
      await mkdir(this.dataDir, { recursive: true, mode: 0o700 });
      if (this.runAs) await chown(this.dataDir, this.runAs.uid, this.runAs.gid);
      try {
        // Trust on 127.0.0.1 only (it listens nowhere else): the machine's own users can reach it, no one else.
        this.run('initdb', ['-D', this.dataDir, '-U', 'flock', '-A', 'trust', '-E', 'UTF8', '--locale=C']);
      } catch (err) {
        throw new Error(
          `${err.message}\n` +
            (this.runAs
              ? `PostgreSQL runs as the ${this.runAs.name} user (it refuses root), which must be able to reach ${this.dataDir}: choose a --state-dir it can reach. `
              : '') +
            'Or give an existing PostgreSQL with FLOCK_DATABASE_URL.',
          { cause: err },
        );
      }
    }
    // pg_ctl writes the server's log as the user it runs as.
    await writeFile(this.logFile, '', { flag: 'a' });
    if (this.runAs) await chown(this.logFile, this.runAs.uid, this.runAs.gid);
    const settings = `-p ${this.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''`;
    this.run('pg_ctl', ['start', '-w', '-t', String(READY_MS.postgres / 1000), '-D', this.dataDir, '-l', this.logFile, '-o', settings]);
    this.started = true;
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: `postgres://flock@127.0.0.1:${this.port}/postgres` });
    await client.connect();
    try {
      const { rowCount } = await client.query("select 1 from pg_database where datname = 'flock'");
      if (rowCount === 0) await client.query('create database flock');
    } finally {
      await client.end();
    }
  }

  stop() {
    if (this.started) this.run('pg_ctl', ['stop', '-w', '-m', 'fast', '-D', this.dataDir]);
    this.started = false;
  }
}

async function main() {
  const settings = options();
  const found = programs(settings);
  await checkPortsFree(settings);
  await ensureWebClientBuilt();
  await ensureCoordinatorBuilt();

  const logs = join(settings.stateDir, 'logs');
  await mkdir(logs, { recursive: true });
  const token = await adminToken(settings.stateDir);
  const services = [];
  let postgres = null;
  let stopping = null;
  const stopAll = () =>
    (stopping ??= (async () => {
      // The balancer first (no new connections), the coordinators next (they write on their way out), their stores last.
      for (const service of [...services].reverse()) await service.stop();
      postgres?.stop();
    })());

  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      if (stopping) return;
      console.log(`\n${signal}: stopping the balancer, the coordinators, Redis and PostgreSQL…`);
      stopAll().then(
        () => {
          console.log('Everything stopped.');
          process.exit(0);
        },
        (err) => fail(`Stopping failed: ${err.message}`),
      );
    });
  }

  try {
    let databaseUrl = settings.databaseUrl;
    if (!databaseUrl) {
      console.log(`Starting PostgreSQL on 127.0.0.1:${settings.postgresPort}…`);
      postgres = new Postgres(found.postgresBin, join(settings.stateDir, 'postgres'), settings.postgresPort, join(logs, 'postgres.log'));
      await postgres.start();
      databaseUrl = postgres.url;
    }
    let redisUrl = settings.redisUrl;
    if (!redisUrl) {
      console.log(`Starting Redis on 127.0.0.1:${settings.redisPort}…`);
      // Nothing saved: Redis only carries the coordinators' broadcasts, which are worth nothing after a restart.
      const redis = new Service('Redis', join(logs, 'redis.log'), found.redisServer, [
        ...['--port', String(settings.redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      ]);
      services.push(redis);
      await waitFor(
        'Redis',
        READY_MS.redis,
        () => redisAnswers(settings.redisPort),
        () => redis.exit,
      );
      redis.watch('the coordinators queue their broadcasts until it is back; restart this script to bring it back.');
      redisUrl = `redis://127.0.0.1:${settings.redisPort}`;
    }

    console.log(`Starting ${COORDINATORS} coordinators on ports ${settings.coordinatorPorts.join(', ')}…`);
    const coordinators = settings.coordinatorPorts.map((port, i) => {
      const id = `coordinator-${i + 1}`;
      const coordinator = new Service(id, join(logs, `${id}.log`), process.execPath, ['apps/coordinator/dist/main.mjs'], {
        PORT: String(port),
        // Only the balancer reaches them, so every device goes through it.
        HOST: '127.0.0.1',
        FLOCK_DATA_DIR: join(settings.stateDir, id),
        FLOCK_ADMIN_TOKEN: token,
        FLOCK_COORDINATOR_ID: id,
        FLOCK_DATABASE_URL: databaseUrl,
        FLOCK_REDIS_URL: redisUrl,
        // HAProxy connects from 127.0.0.1 and names the client in X-Forwarded-For: the per-IP limits count clients, not the balancer.
        FLOCK_TRUSTED_PROXIES: 'loopback',
      });
      services.push(coordinator);
      return { coordinator, url: `http://127.0.0.1:${port}` };
    });
    await Promise.all(
      coordinators.map(({ coordinator, url }) =>
        waitFor(
          coordinator.name,
          READY_MS.coordinator,
          () => healthy(url),
          () => coordinator.exit,
        ).catch((err) => {
          throw new Error(`${err.message}; its log: ${coordinator.logFile}`);
        }),
      ),
    );
    for (const { coordinator } of coordinators) coordinator.watch('HAProxy sends its devices to the other coordinators.');

    console.log(`Starting HAProxy on ${settings.host}:${settings.port}…`);
    const balancer = new Service('HAProxy', join(logs, 'haproxy.log'), found.haproxy, ['-db', '-f', join(root, 'deploy/haproxy.cfg')], {
      FLOCK_BALANCER_BIND: `${settings.host}:${settings.port}`,
      ...Object.fromEntries(settings.coordinatorPorts.map((port, i) => [`FLOCK_COORDINATOR_${i + 1}`, `127.0.0.1:${port}`])),
    });
    services.push(balancer);
    const entry = `http://${settings.host === '0.0.0.0' ? 'localhost' : settings.host}:${settings.port}`;
    await waitFor(
      'HAProxy',
      READY_MS.balancer,
      () => healthy(`http://127.0.0.1:${settings.port}`),
      () => balancer.exit,
    ).catch((err) => {
      throw new Error(`${err.message}; its log: ${balancer.logFile}`);
    });
    balancer.watch('devices cannot reach the coordinators any more; stop this script (Ctrl-C) and start it again.');

    console.log(
      [
        '',
        `Flock is running at scale: ${COORDINATORS} coordinators behind HAProxy, sharing PostgreSQL and Redis.`,
        `  Devices open        ${entry}/  (from other machines: this machine's address, port ${settings.port})`,
        `  The dashboard       ${entry}/admin  — log in with the admin token ${token}`,
        `  The coordinators    ${coordinators.map(({ coordinator, url }) => `${coordinator.name} ${url}`).join(', ')}`,
        `  Data and logs       ${settings.stateDir} (logs in ${logs})`,
        'Press Ctrl-C to stop everything.',
      ].join('\n'),
    );
  } catch (err) {
    console.error(`Flock at scale did not start: ${err.message}`);
    await stopAll().catch((stopErr) => console.error(`Stopping what had started failed too: ${stopErr.message}`));
    process.exit(1);
  }
}

await main();
