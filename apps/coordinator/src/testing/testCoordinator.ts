import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startCoordinator, type CoordinatorOptions, type RunningCoordinator } from '../coordinator.ts';
import { seedDatabase } from './seededDatabase.ts';

export interface TestCoordinator {
  /** Set once beforeAll ran. */
  readonly coordinator: RunningCoordinator;
  /** A scratch directory for the test's own files; the coordinator keeps its data in `data/` inside. */
  readonly dir: string;
}

/** What a test may set beyond the defaults (its limits, heartbeat, download chunks). */
export type TestCoordinatorOptions = Partial<Omit<CoordinatorOptions, 'port' | 'host' | 'dataDir' | 'adminToken' | 'logLevel'>>;

/** Registers beforeAll/afterAll hooks: a silent coordinator on a free port and a fresh directory (its empty database copied, see seedDatabase), removed afterwards. */
export function useTestCoordinator(prefix: string, adminToken: string, options: TestCoordinatorOptions = {}): TestCoordinator {
  const state: { coordinator?: RunningCoordinator; dir?: string } = {};
  beforeAll(async () => {
    state.dir = await mkdtemp(join(tmpdir(), prefix));
    const dataDir = join(state.dir, 'data');
    await seedDatabase(dataDir);
    state.coordinator = await startCoordinator({ ...options, port: 0, host: '127.0.0.1', dataDir, adminToken, logLevel: 'silent' });
  }, 60_000);
  afterAll(async () => {
    await state.coordinator?.close();
    if (state.dir) await rm(state.dir, { recursive: true, force: true });
  });
  return {
    get coordinator() {
      if (!state.coordinator) throw new Error('the test coordinator starts in beforeAll');
      return state.coordinator;
    },
    get dir() {
      if (!state.dir) throw new Error('the test directory is made in beforeAll');
      return state.dir;
    },
  };
}

/** Polls `probe` every 100 ms until it gives a value (not undefined), failing after `timeoutMs` with `what` it waited for. */
export async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}
