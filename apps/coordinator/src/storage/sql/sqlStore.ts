import { EventLog } from '../eventLog.ts';
import type { CoordinatorStore, StoreOptions } from '../store.ts';
import type { SqlClient } from './sqlClient.ts';
import { SqlCoordinators } from './sqlCoordinators.ts';
import { SqlDevices } from './sqlDevices.ts';
import { SqlEvaluations } from './sqlEvaluations.ts';
import { SqlEventRows } from './sqlEvents.ts';
import { SqlFederations } from './sqlFederations.ts';
import { SqlLeases } from './sqlLeases.ts';
import { SqlAnalyticsQueries } from './sqlAnalyticsQueries.ts';
import { SqlModels, SqlRounds } from './sqlRounds.ts';
import { SqlSharedRounds } from './sqlSharedRounds.ts';
import { SqlTokens } from './sqlTokens.ts';
import { SqlUploadedModels } from './sqlUploadedModels.ts';

/**
 * The coordinator's tables (schema.ts) in PostgreSQL, embedded (PGlite) or a server: the same
 * statements through a SqlClient; rows are re-validated on the way out.
 */
export class SqlStore implements CoordinatorStore {
  readonly federations: SqlFederations;
  readonly rounds: SqlRounds;
  readonly models: SqlModels;
  readonly devices: SqlDevices;
  readonly evaluations: SqlEvaluations;
  readonly uploadedModels: SqlUploadedModels;
  readonly tokens: SqlTokens;
  readonly events: EventLog;
  readonly leases: SqlLeases;
  readonly sharedRounds: SqlSharedRounds;
  readonly coordinators: SqlCoordinators;
  readonly queries: SqlAnalyticsQueries;

  /** Over a migrated database, whose clients stay open when the store closes; `leaseDb` (default `db`): leases on connections of their own. */
  constructor(db: SqlClient, options: StoreOptions = {}, leaseDb: SqlClient = db) {
    this.federations = new SqlFederations(db);
    this.rounds = new SqlRounds(db);
    this.models = new SqlModels(db);
    this.devices = new SqlDevices(db);
    this.evaluations = new SqlEvaluations(db);
    this.uploadedModels = new SqlUploadedModels(db);
    this.tokens = new SqlTokens(db);
    this.events = new EventLog(new SqlEventRows(db), options.eventLog);
    this.leases = new SqlLeases(leaseDb);
    this.sharedRounds = new SqlSharedRounds(db);
    this.coordinators = new SqlCoordinators(db);
    this.queries = new SqlAnalyticsQueries(db);
  }

  close(): Promise<void> {
    return this.events.close();
  }
}
