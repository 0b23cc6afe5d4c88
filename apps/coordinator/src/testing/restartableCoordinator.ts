import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCoordinator, type RunningCoordinator } from '../coordinator.ts';
import { restCall } from './restCalls.ts';
import { seedDatabase } from './seededDatabase.ts';

/** An in-process coordinator on a data directory of its own (an empty database copied in), which a test stops and starts again on the same data. */
export class RestartableCoordinator {
  private running: RunningCoordinator | null = null;

  private constructor(
    private readonly dir: string,
    private readonly adminToken: string,
  ) {}

  static async launch(tempPrefix: string, adminToken: string): Promise<RestartableCoordinator> {
    const dir = await mkdtemp(join(tmpdir(), tempPrefix));
    await seedDatabase(join(dir, 'data'));
    const coordinator = new RestartableCoordinator(dir, adminToken);
    await coordinator.start();
    return coordinator;
  }

  get url(): string {
    if (!this.running) throw new Error('the coordinator is not running');
    return this.running.url;
  }

  api<T>(method: string, path: string, body?: unknown) {
    return restCall<T>(this.url, this.adminToken, method, path, body);
  }

  /** Stops it, then starts it again on the same data. */
  async restart(): Promise<void> {
    await this.running?.close();
    await this.start();
  }

  /** Stops it and removes its data. */
  async close(): Promise<void> {
    await this.running?.close();
    this.running = null;
    await rm(this.dir, { recursive: true, force: true });
  }

  private async start(): Promise<void> {
    this.running = null;
    this.running = await startCoordinator({ port: 0, host: '127.0.0.1', dataDir: join(this.dir, 'data'), adminToken: this.adminToken, logLevel: 'silent' });
  }
}
