import { openPgliteStore } from './pglite/pgliteStore.ts';
import { openPostgresStore } from './postgres/postgresStore.ts';
import type { DurableStore, StoreOptions } from './store.ts';

export interface StoreLocation extends StoreOptions {
  /** The embedded database and its signing key when there is no databaseUrl. */
  dataDir: string;
  /** A PostgreSQL server (FLOCK_DATABASE_URL) that holds the data and the signing key instead. */
  databaseUrl?: string;
}

/**
 * The store the coordinator runs on: PostgreSQL when given a URL, else PGlite in the data directory
 * (the in-memory MemoryStore keeps nothing, for tests). Both run the SQL store (storage/sql/).
 */
export function openStore(location: StoreLocation): Promise<DurableStore> {
  return location.databaseUrl ? openPostgresStore(location.databaseUrl, location) : openPgliteStore(location.dataDir, location);
}
