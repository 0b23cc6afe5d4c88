import type { PGlite } from '@electric-sql/pglite';
import { EventLog } from '../eventLog.ts';
import type { CoordinatorStore, DurableStore, StoreOptions } from '../store.ts';
import { takeBackup } from './backup.ts';
import { openDataDir, type OpenDataDir } from './dataDir.ts';
import { PgliteEvaluations } from './pgliteEvaluations.ts';
import { PgliteEventRows } from './pgliteEvents.ts';
import { PgliteFederations } from './pgliteFederations.ts';
import { PgliteDevices, PgliteModels, PgliteRounds } from './pgliteRounds.ts';
import { PgliteTokens } from './pgliteTokens.ts';
import { PgliteUploadedModels } from './pgliteUploadedModels.ts';

/** The coordinator's tables in PGlite (plain PostgreSQL statements, schema in database.ts); rows are re-validated on the way out. */
export class PgliteStore implements CoordinatorStore {
  readonly federations: PgliteFederations;
  readonly rounds: PgliteRounds;
  readonly models: PgliteModels;
  readonly devices: PgliteDevices;
  readonly evaluations: PgliteEvaluations;
  readonly uploadedModels: PgliteUploadedModels;
  readonly tokens: PgliteTokens;
  readonly events: EventLog;

  /** Over an open database, which stays open when the store closes. */
  constructor(db: PGlite, options: StoreOptions = {}) {
    this.federations = new PgliteFederations(db);
    this.rounds = new PgliteRounds(db);
    this.models = new PgliteModels(db);
    this.devices = new PgliteDevices(db);
    this.evaluations = new PgliteEvaluations(db);
    this.uploadedModels = new PgliteUploadedModels(db);
    this.tokens = new PgliteTokens(db);
    this.events = new EventLog(new PgliteEventRows(db), options.eventLog);
  }

  close(): Promise<void> {
    return this.events.close();
  }
}

/** A PgliteStore that holds its data directory: closing it closes the database and lets another process have the directory. */
class DataDirStore extends PgliteStore implements DurableStore {
  constructor(
    private readonly dir: OpenDataDir,
    private readonly path: string,
    options: StoreOptions,
  ) {
    super(dir.db, options);
  }

  backup(): Promise<Uint8Array> {
    return takeBackup(this.dir.db, this.path);
  }

  override async close(): Promise<void> {
    await super.close();
    await this.dir.close();
  }
}

/** The store in `dataDir` (created when missing), held by this process until it is closed. */
export async function openPgliteStore(dataDir: string, options: StoreOptions = {}): Promise<DurableStore> {
  return new DataDirStore(await openDataDir(dataDir), dataDir, options);
}
