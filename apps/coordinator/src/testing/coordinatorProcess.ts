import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seedDatabase } from './seededDatabase.ts';

const READY_TIMEOUT_MS = 120_000;
const REPO_ROOT = new URL('../../../../', import.meta.url).pathname;

export interface CoordinatorProcessOptions {
  /** The operator's token; by default one made up for this process. */
  adminToken?: string;
  /** Variables added to or overriding the coordinator's environment. */
  env?: Record<string, string>;
  /**
   * 'sources' (default): main.ts through tsx, so tests never run a stale build. 'compiled': `node scripts/start.mjs`,
   * what `npm start` runs (it builds what is missing, then imports the compiled coordinator in the same process).
   */
  run?: 'sources' | 'compiled';
  /** true: the data directory starts with a copied empty database (seedDatabase), for callers that are not about the first start. */
  seedDatabase?: boolean;
}

const COMMANDS = {
  sources: ['--import', 'tsx', 'apps/coordinator/src/main.ts'],
  compiled: ['scripts/start.mjs'],
} as const;

/**
 * A coordinator in its own Node process, as devices, browsers and attackers meet it: specs kill it
 * (SIGKILL) and start it again on the same data directory and port, the fuzz suite and the abuse
 * bench read its RSS from /proc. Node runs main.ts through tsx's loader, or the compiled coordinator, in-process, so `pid` is the
 * coordinator itself, not a launcher that would outlive a kill.
 */
export class CoordinatorProcess {
  private child: ChildProcess | null = null;
  private exit: { code: number | null; signal: string | null } | null = null;
  private log = '';

  private constructor(
    readonly port: number,
    readonly dataDir: string,
    readonly adminToken: string,
    private readonly env: Record<string, string>,
    private readonly run: 'sources' | 'compiled',
  ) {}

  /** A fresh data directory and a free port; call start() to run it. */
  static async create({ adminToken, env = {}, run = 'sources', seedDatabase: seed = false }: CoordinatorProcessOptions = {}): Promise<CoordinatorProcess> {
    const port = await freePort();
    const dataDir = await mkdtemp(join(tmpdir(), 'flock-spawned-'));
    if (seed) await seedDatabase(dataDir);
    return new CoordinatorProcess(port, dataDir, adminToken ?? `spawned-admin-${process.pid}-${port}`, env, run);
  }

  /** create() and start(). */
  static async launch(options: CoordinatorProcessOptions = {}): Promise<CoordinatorProcess> {
    const coordinator = await CoordinatorProcess.create(options);
    await coordinator.start();
    return coordinator;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    if (!this.child?.pid) throw new Error('the coordinator process is not running');
    return this.child.pid;
  }

  /** Spawns the process and resolves once /api/health answers; rejects with its output if it exits first. */
  async start(): Promise<void> {
    if (this.child) throw new Error('the coordinator is already running');
    const child = spawn(process.execPath, [...COMMANDS[this.run]], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        PORT: String(this.port),
        HOST: '127.0.0.1',
        FLOCK_DATA_DIR: this.dataDir,
        FLOCK_ADMIN_TOKEN: this.adminToken,
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
        ...this.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.exit = null;
    const keep = (chunk: Buffer) => (this.log = (this.log + chunk.toString()).slice(-20_000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    child.once('exit', (code, signal) => (this.exit = { code, signal }));
    await this.waitUntilHealthy();
  }

  /** Why the process is gone (exit code or signal and its last output), or null while it runs. */
  death(): string | null {
    if (!this.exit) return null;
    return `the coordinator exited (${this.exit.signal ?? `code ${this.exit.code}`}); its last output:\n${this.log.slice(-4_000)}`;
  }

  /** death(), once the exit is in or `ms` passed: a client sees its connection drop before the exit event arrives here. */
  async deathWithin(ms: number): Promise<string | null> {
    const child = this.child;
    if (child && !this.exit) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.death();
  }

  /** How the process ended (exit code or signal), or null while it runs. */
  get exitStatus(): { code: number | null; signal: string | null } | null {
    return this.exit;
  }

  /** The process's recent output, for failure messages. */
  output(): string {
    return this.log;
  }

  /** Resident memory of the process in bytes (VmRSS in /proc/<pid>/status). */
  rssBytes(): number {
    const line = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
    if (!line) throw new Error(`no VmRSS for pid ${this.pid}`);
    return Number(line[1]) * 1024;
  }

  /** Sends `signal` (SIGKILL: no shutdown handlers run) and waits until the process is gone; start() may run it again. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = null;
    if (this.exit) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await gone;
  }

  /** Stops it (SIGTERM, so its shutdown runs; SIGKILL after 10 s) and removes its data directory. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child && !this.exit) {
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await this.kill('SIGTERM');
      clearTimeout(killer);
    }
    this.child = null;
    await rm(this.dataDir, { recursive: true, force: true });
  }

  private async waitUntilHealthy(): Promise<void> {
    const until = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < until) {
      const died = this.death();
      if (died) throw new Error(died);
      try {
        if ((await fetch(`${this.url}/api/health`)).ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`coordinator not healthy after ${READY_TIMEOUT_MS / 1000} s:\n${this.log}`);
  }
}

/** A port nothing listens on now, on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** The processes whose parent is `pid` (from /proc; one that ends while being read is left out). */
export function childProcesses(pid: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}
