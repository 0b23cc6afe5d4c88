import type { PGlite } from '@electric-sql/pglite';
import { openDatabase } from './database.ts';
import { lockDataDir } from '../dataDirLock.ts';

export interface OpenDataDir {
  db: PGlite;
  /** Closes the database, then lets another process have the directory. */
  close(): Promise<void>;
}

/** The data directory, held by this process for as long as its database is open. */
export async function openDataDir(dataDir: string): Promise<OpenDataDir> {
  const lock = lockDataDir(dataDir);
  let db: PGlite;
  try {
    db = await openDatabase(dataDir);
  } catch (err) {
    lock.release();
    throw err;
  }
  return {
    db,
    async close() {
      await db.close();
      lock.release();
    },
  };
}
