import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const READY_TIMEOUT_MS = 90_000;
const REPO_ROOT = new URL('../../../../', import.meta.url).pathname;

/**
 * A coordinator in its own Node process, as an attacker meets it: the fuzz suite and the abuse
 * bench drive it over HTTP and Socket.IO and read its RSS from /proc. Node runs main.ts through
 * tsx's loader in-process, so `pid` is the coordinator itself, not a launcher.
 */
export class SpawnedCoordinator {
  private log = '';
  private exit: { code: number | null; signal: string | null } | null = null;

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    readonly dataDir: string,
    readonly adminToken: string,
  ) {
    const keep = (chunk: Buffer) => (this.log = (this.log + chunk.toString()).slice(-20_000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    child.once('exit', (code, signal) => (this.exit = { code, signal }));
  }

  /** Starts one on a fresh data directory and a free port; `env` adds or overrides variables. Resolves once /api/health answers. */
  static async start(env: Record<string, string> = {}): Promise<SpawnedCoordinator> {
    const port = await freePort();
    const dataDir = await mkdtemp(join(tmpdir(), 'flock-spawned-'));
    const adminToken = `spawned-admin-${process.pid}-${port}`;
    const child = spawn(process.execPath, ['--import', 'tsx', 'apps/coordinator/src/main.ts'], {
      cwd: REPO_ROOT,
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', FLOCK_DATA_DIR: dataDir, FLOCK_ADMIN_TOKEN: adminToken, LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const coordinator = new SpawnedCoordinator(child, `http://127.0.0.1:${port}`, dataDir, adminToken);
    await coordinator.waitUntilHealthy();
    return coordinator;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Why the process is gone (exit code or signal and its last output), or null while it runs. */
  death(): string | null {
    if (!this.exit) return null;
    return `the coordinator exited (${this.exit.signal ?? `code ${this.exit.code}`}); its last output:\n${this.log.slice(-4_000)}`;
  }

  /** death(), once the exit is in or `ms` passed: a client sees its connection drop before the exit event arrives here. */
  async deathWithin(ms: number): Promise<string | null> {
    if (!this.exit) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        this.child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.death();
  }

  output(): string {
    return this.log;
  }

  /** Resident memory of the process in bytes (VmRSS in /proc/<pid>/status). */
  rssBytes(): number {
    const line = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
    if (!line) throw new Error(`no VmRSS for pid ${this.pid}`);
    return Number(line[1]) * 1024;
  }

  /** Stops it (SIGTERM: its shutdown runs) and removes its data directory. */
  async stop(): Promise<void> {
    if (!this.exit) {
      const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.child.kill('SIGTERM');
      const killer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(killer);
    }
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
