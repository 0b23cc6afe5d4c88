import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { E2E_ADMIN_TOKEN } from './coordinator.ts';

const READY_TIMEOUT_MS = 120_000;

/**
 * A coordinator in its own Node process (not Playwright's webServer), so a spec can kill it with
 * SIGKILL and start it again on the same data directory and port. Node runs main.ts through tsx's
 * loader in-process: the pid is the coordinator itself, not a launcher that would outlive a kill.
 */
export class CoordinatorProcess {
  private child: ChildProcess | null = null;
  private log = '';

  private constructor(
    readonly port: number,
    readonly dataDir: string,
  ) {}

  /** A fresh data directory and a free port; call start() to run it. */
  static async create(): Promise<CoordinatorProcess> {
    return new CoordinatorProcess(await freePort(), mkdtempSync(join(tmpdir(), 'flock-e2e-spawned-')));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Spawns the process and resolves once /api/health answers. */
  async start(): Promise<void> {
    if (this.child) throw new Error('the coordinator is already running');
    const child = spawn(process.execPath, ['--import', 'tsx', 'apps/coordinator/src/main.ts'], {
      cwd: process.cwd(),
      env: {
        ...process.env,
        PORT: String(this.port),
        HOST: '127.0.0.1',
        FLOCK_DATA_DIR: this.dataDir,
        FLOCK_ADMIN_TOKEN: E2E_ADMIN_TOKEN,
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const keep = (chunk: Buffer) => (this.log = (this.log + chunk.toString()).slice(-20_000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code, signal) => reject(new Error(`coordinator exited (${signal ?? code}) before it was ready:\n${this.log}`))),
    );
    await Promise.race([this.waitUntilHealthy(), exited]);
  }

  /** Kills the process the hard way (no shutdown handlers run) and waits until it is gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = null;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await gone;
  }

  /** The process's recent output, for failure messages. */
  output(): string {
    return this.log;
  }

  private async waitUntilHealthy(): Promise<void> {
    const until = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < until) {
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

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
