import { openSigningKey, type SigningKey } from '../../auth/signingKey.ts';
import type { DurableStore, StoreOptions } from '../store.ts';
import { SqlStore } from '../sql/sqlStore.ts';
import { takeBackup } from './backup.ts';
import { openDataDir, type OpenDataDir } from './dataDir.ts';
import { pgliteClient } from './pgliteClient.ts';

/** The SQL store on the data directory's PGlite, held by this process: closing it closes the database and lets another process have the directory. */
class PgliteStore extends SqlStore implements DurableStore {
  constructor(
    private readonly dir: OpenDataDir,
    private readonly path: string,
    options: StoreOptions,
  ) {
    super(pgliteClient(dir.db), options);
  }

  backup(): Promise<Uint8Array> {
    return takeBackup(this.dir.db, this.path);
  }

  /** In the data dir (jwt-key), beside the database, and in its backups. */
  signingKey(): Promise<SigningKey> {
    return openSigningKey(this.path);
  }

  override async close(): Promise<void> {
    await super.close();
    await this.dir.close();
  }
}

/** The store in `dataDir` (created when missing), held by this process until it is closed. */
export async function openPgliteStore(dataDir: string, options: StoreOptions = {}): Promise<DurableStore> {
  return new PgliteStore(await openDataDir(dataDir), dataDir, options);
}
