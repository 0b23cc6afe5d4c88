import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findHaproxy } from '../../../../scripts/localServers.mjs';
import { freePort } from './coordinatorProcess.ts';

const READY_TIMEOUT_MS = 10_000;
/** The operator's config: tests run exactly what deploy/ ships, with their own addresses. */
const DEPLOY_CONFIG = new URL('../../../../deploy/haproxy.cfg', import.meta.url).pathname;
const MISSING =
  'HAProxy is not installed (not found on PATH nor in /usr/sbin): install it with `apt-get install haproxy` ' +
  '(.ci/run does when it is missing); the load-balancer tests start their own HAProxy and need no service running';
const SERVER_LINE = /^\s*server\s/;

/** A coordinator as HAProxy sees it. */
export interface Backend {
  /** coordinator-1 for the first URL given to launch(), and so on. */
  name: string;
  /** What its health checks found: 'UP', 'DOWN', or on the way, e.g. 'UP 1/2' (one check failed of the two that take it out). */
  status: string;
  /** Client connections it serves now (each device's WebSocket is one). */
  connections: number;
}

/**
 * A throwaway HAProxy for one test file or bench: deploy/haproxy.cfg with its servers replaced by
 * `backends` (named coordinator-1, coordinator-2, ...), on a free port, its config and stats socket in a
 * temporary folder removed on stop.
 */
export class HaproxyServer {
  private child: ChildProcess | null = null;
  private log = '';

  private constructor(
    private readonly dir: string,
    readonly port: number,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** HAProxy in front of `backends` (http://host:port URLs), once it checked each; fails saying how to install it when it is missing. */
  static async launch(backends: string[]): Promise<HaproxyServer> {
    const binary = findHaproxy();
    if (!binary) throw new Error(MISSING);
    const server = new HaproxyServer(await mkdtemp(join(tmpdir(), 'flock-haproxy-')), await freePort());
    try {
      await writeFile(server.configFile, statsSocketSection(server.statsSocket) + withServers(await readFile(DEPLOY_CONFIG, 'utf8'), backends));
      await server.start(binary);
    } catch (err) {
      await server.stop();
      throw err;
    }
    return server;
  }

  /** The coordinators in launch() order, from HAProxy's stats socket. */
  async backends(): Promise<Backend[]> {
    const [header, ...rows] = (await this.ask('show stat')).split('\n').filter((line) => line !== '');
    const columns = header!.replace(/^# /, '').split(',');
    const field = (row: string[], name: string) => row[columns.indexOf(name)]!;
    return rows
      .map((line) => line.split(','))
      .filter((row) => field(row, 'pxname') === 'coordinators' && field(row, 'svname') !== 'BACKEND')
      .map((row) => ({ name: field(row, 'svname'), status: field(row, 'status'), connections: Number(field(row, 'scur')) }));
  }

  /** Stops HAProxy (SIGTERM: it closes every connection at once) and removes its folder. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (child && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await gone;
    }
    await rm(this.dir, { recursive: true, force: true });
  }

  private get configFile(): string {
    return join(this.dir, 'haproxy.cfg');
  }

  private get statsSocket(): string {
    return join(this.dir, 'stats.sock');
  }

  /** Runs HAProxy in the foreground (-db) and resolves once it checked every coordinator; rejects with its output if it exits first. */
  private async start(binary: string): Promise<void> {
    const child = spawn(binary, ['-db', '-f', this.configFile], {
      env: { ...process.env, FLOCK_BALANCER_BIND: `127.0.0.1:${this.port}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const keep = (chunk: Buffer) => (this.log = (this.log + chunk.toString()).slice(-4_000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code, signal) => reject(new Error(`HAProxy exited (${signal ?? `code ${code}`}) before it was ready; its output:\n${this.log}`))),
    );
    exited.catch(() => undefined);
    await Promise.race([this.checkedEveryBackend(), exited]);
  }

  /** Until every coordinator had its first health check: HAProxy starts each one half-way ('UP 1/2'), neither in nor out for good. */
  private async checkedEveryBackend(): Promise<void> {
    const end = Date.now() + READY_TIMEOUT_MS;
    let states = 'none yet';
    while (Date.now() < end) {
      try {
        const backends = await this.backends();
        if (backends.every((b) => !b.status.includes('/'))) return;
        states = backends.map((b) => `${b.name} ${b.status}`).join(', ');
      } catch {
        // the stats socket is not open yet
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`HAProxy had not checked every coordinator within ${READY_TIMEOUT_MS / 1000} s (${states}); its output:\n${this.log}`);
  }

  /** One command on the stats socket; HAProxy answers and closes. */
  private ask(command: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = createConnection({ path: this.statsSocket });
      let answer = '';
      socket.setTimeout(2_000, () => socket.destroy(new Error(`HAProxy did not answer "${command}" within 2 s`)));
      socket.once('error', reject);
      socket.once('connect', () => socket.write(`${command}\n`));
      socket.on('data', (chunk) => (answer += chunk.toString()));
      socket.once('end', () => resolve(answer));
    });
  }
}

/** A second `global` section (HAProxy merges them) opening the stats socket the helper reads states from. */
function statsSocketSection(path: string): string {
  return `global\n    stats socket ${path} mode 600 level admin\n\n`;
}

/** `config` with its `server` lines replaced by one per backend URL, where the first stood. */
function withServers(config: string, backends: string[]): string {
  const lines = config.split('\n');
  const first = lines.findIndex((line) => SERVER_LINE.test(line));
  if (first < 0) throw new Error(`${DEPLOY_CONFIG} lists no server line to replace`);
  const servers = backends.map((url, i) => {
    const { host } = new URL(url);
    return `    server coordinator-${i + 1} ${host} check cookie coordinator-${i + 1}`;
  });
  const kept = lines.filter((line) => !SERVER_LINE.test(line));
  kept.splice(first, 0, ...servers);
  return kept.join('\n');
}
