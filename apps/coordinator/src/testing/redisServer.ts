import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { redisAnswers } from '../../../../scripts/localServers.mjs';
import { freePort } from './coordinatorProcess.ts';

const READY_TIMEOUT_MS = 10_000;
const MISSING =
  'redis-server is not installed (not found on PATH): install it with `apt-get install redis-server` (.ci/run does when it is missing); the Redis tests start their own server and need no service running';

/**
 * A throwaway redis-server for one test file: its own free port, nothing saved to disk (`--save ''
 * --appendonly no`), so a restart comes back empty, as a Redis that lost its data would.
 */
export class RedisServer {
  private child: ChildProcess | null = null;
  private log = '';

  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts redis-server on a free port; fails saying how to install it when it is not on PATH. */
  static async launch(): Promise<RedisServer> {
    if (spawnSync('redis-server', ['--version']).error) throw new Error(MISSING);
    const server = new RedisServer(await freePort());
    await server.start();
    return server;
  }

  /** Runs redis-server on this port and resolves once it answers PING; after stop(), a Redis restarted empty. */
  async start(): Promise<void> {
    if (this.child) throw new Error('redis-server is already running');
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.log = '';
    const keep = (chunk: Buffer) => (this.log = (this.log + chunk.toString()).slice(-4_000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code, signal) => reject(new Error(`redis-server exited (${signal ?? `code ${code}`}) before answering; its output:\n${this.log}`))),
    );
    exited.catch(() => undefined);
    await Promise.race([this.answersPing(), exited]);
  }

  /** Stops redis-server (SIGTERM, SIGKILL after 5 s) and waits for the exit. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.kill('SIGTERM');
    await gone;
    clearTimeout(killer);
  }

  private async answersPing(): Promise<void> {
    const end = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < end) {
      if (await redisAnswers(this.port)) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`redis-server on port ${this.port} did not answer PING within ${READY_TIMEOUT_MS / 1000} s; its output:\n${this.log}`);
  }
}
