import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll } from 'vitest';
import { openDatabase } from './database.ts';

/** For a test file: a database in a fresh temporary data directory, opened before its tests and removed after them. */
export function useTestDatabase(prefix: string): { readonly db: PGlite; readonly dataDir: string } {
  let dataDir: string | undefined;
  let db: PGlite | undefined;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), prefix));
    db = await openDatabase(dataDir);
  });
  afterAll(async () => {
    await db?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });
  const opened = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the test database opens in beforeAll');
    return value;
  };
  return {
    get db() {
      return opened(db);
    },
    get dataDir() {
      return opened(dataDir);
    },
  };
}
