import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCoordinator } from '../coordinator.ts';
import { openDatabase } from './pglite/database.ts';
import { lockDataDir } from './dataDirLock.ts';

const MAIN = resolve(import.meta.dirname, '../main.ts');

/**
 * A real coordinator process (main.ts through tsx's loader, in node itself so that a timeout kills
 * the coordinator and not a launcher) on `dataDir`: its exit code and what it wrote, once it stops.
 */
function runCoordinatorProcess(dataDir: string): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    const child = execFile(
      process.execPath,
      ['--import', 'tsx', MAIN],
      { env: { ...process.env, FLOCK_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' }, timeout: 60_000 },
      (_err, stdout, stderr) => done({ code: child.exitCode, output: `${stdout}${stderr}` }),
    );
  });
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flock-datadir-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the data dir', () => {
  it('refuses a second coordinator process while one holds it, and is free again once that one closes', async () => {
    const dataDir = join(dir, 'held');
    const running = await startCoordinator({ port: 0, host: '127.0.0.1', dataDir, adminToken: 'datadir-test-admin-token', logLevel: 'silent' });
    try {
      const second = await runCoordinatorProcess(dataDir);
      expect(second.code).toBe(1);
      expect(second.output).toContain(`data dir ${resolve(dataDir)} is in use by PID ${process.pid}`);
    } finally {
      await running.close();
    }
    lockDataDir(dataDir).release();
  }, 90_000);

  it('takes over a lock left by a process that no longer runs', async () => {
    const dataDir = join(dir, 'stale');
    lockDataDir(dataDir).release();
    // PIDs stop well below 2^22 on Linux: this one runs nowhere.
    await writeFile(join(dataDir, 'coordinator.lock'), '4194303\n');
    const lock = lockDataDir(dataDir);
    lock.release();
    expect(existsSync(join(dataDir, 'coordinator.lock'))).toBe(false);
  });

  it('takes over a lock naming its own PID that it does not hold: left before a container restart that gave out the same PID', async () => {
    const dataDir = join(dir, 'same-pid');
    lockDataDir(dataDir).release();
    await writeFile(join(dataDir, 'coordinator.lock'), `${process.pid}\n`);
    const lock = lockDataDir(dataDir);
    expect(() => lockDataDir(dataDir)).toThrow(`data dir ${resolve(dataDir)} is in use by PID ${process.pid}`);
    lock.release();
  });

  it('names the damaged database and what to do when it cannot be opened', async () => {
    const dataDir = join(dir, 'damaged');
    await (await openDatabase(dataDir)).close();
    const wal = join(dataDir, 'pg', 'pg_wal');
    for (const segment of (await readdir(wal)).filter((f) => /^[0-9A-F]{24}$/.test(f))) await writeFile(join(wal, segment), Buffer.alloc(1024, 9));
    const start = await runCoordinatorProcess(dataDir);
    expect(start.code).toBe(1);
    const pg = join(dataDir, 'pg');
    expect(start.output).toContain(
      `the database in ${pg} could not be opened; it may be damaged. Restore a backup with \`flockctl restore --data-dir ${dataDir} BACKUP_FILE\``,
    );
    expect(start.output).toContain(`or move ${pg} away to start with an empty database`);
    // The failed start let go of the directory.
    lockDataDir(dataDir).release();
  }, 90_000);
});
