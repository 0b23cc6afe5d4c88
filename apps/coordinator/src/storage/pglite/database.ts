import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import { migrate } from '../sql/schema.ts';
import { pgliteClient } from './pgliteClient.ts';

const execFileAsync = promisify(execFile);

/**
 * PostgreSQL's default 128 MB of shared buffers sits in PGlite's wasm memory whether used or not; one
 * coordinator's tables are small and its files are in the OS's page cache anyway (idle RSS -110 MB,
 * `npm run bench -- startup`). A deployment that outgrows this moves to PostgreSQL.
 */
const SHARED_BUFFERS = '16MB';

/** The data directory's embedded database (created when missing), migrated to the current schema. */
export async function openDatabase(dataDir: string): Promise<PGlite> {
  await mkdir(dataDir, { recursive: true });
  const path = join(dataDir, 'pg');
  if (!existsSync(path)) await createCluster(path);
  let db: PGlite;
  try {
    db = await PGlite.create(path, { startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${SHARED_BUFFERS}`] });
  } catch (err) {
    throw new DatabaseOpenError(dataDir, path, err);
  }
  await migrate(pgliteClient(db));
  return db;
}

/**
 * initdb in a short-lived child process. The instance that creates a cluster holds initdb's wasm memory
 * (~400 MB), and even once closed it is only given back by a garbage collection that an idle coordinator
 * may never run; a process that exits gives it all back (first-start idle RSS, `npm run bench -- startup`).
 */
async function createCluster(path: string): Promise<void> {
  const script = `const { PGlite } = await import('@electric-sql/pglite'); await (await PGlite.create(${JSON.stringify(path)})).close();`;
  // The child resolves PGlite from this file's folder, as this module does.
  await execFileAsync(process.execPath, ['--input-type=module', '-e', script], { cwd: dirname(fileURLToPath(import.meta.url)) });
}

/** PGlite only says `Aborted()` about a damaged cluster: this names the folder and the ways out. */
export class DatabaseOpenError extends Error {
  constructor(dataDir: string, path: string, cause: unknown) {
    super(
      `the database in ${path} could not be opened; it may be damaged. ` +
        `Restore a backup with \`flockctl restore --data-dir ${dataDir} BACKUP_FILE\` (after moving ${path} away), or move ${path} away to start with an empty database ` +
        `(PGlite said: ${cause instanceof Error ? cause.message : String(cause)})`,
      { cause },
    );
    this.name = 'DatabaseOpenError';
  }
}
