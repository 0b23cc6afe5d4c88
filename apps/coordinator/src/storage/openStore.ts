import { openPgliteStore } from './pglite/pgliteStore.ts';
import type { DurableStore, StoreOptions } from './store.ts';

export interface StoreLocation extends StoreOptions {
  /** Where the database and the signing key live. */
  dataDir: string;
}

/** The store the coordinator runs on: PGlite in the data directory (the in-memory MemoryStore keeps nothing, for tests). */
export function openStore(location: StoreLocation): Promise<DurableStore> {
  return openPgliteStore(location.dataDir, location);
}
