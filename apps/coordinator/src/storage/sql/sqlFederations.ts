import { FederationStatus, type FederationConfig } from '@flock/fl-core';
import { configFromStore, configToStore } from '../storedConfig.ts';
import type { FederationRepository, StoredFederation } from '../store.ts';
import type { Row } from './rows.ts';
import type { SqlClient } from './sqlClient.ts';
import { insertModel } from './sqlRounds.ts';

/** The federations table: configs, status, round counter and the operator's archive. */
export class SqlFederations implements FederationRepository {
  constructor(private readonly db: SqlClient) {}

  async list(): Promise<StoredFederation[]> {
    const { rows } = await this.db.query<Row>('select config, status, round from federations order by created_at, id');
    return rows.map((r) => ({ config: configFromStore(r.config), status: FederationStatus.parse(r.status), round: Number(r.round) }));
  }

  async create(config: FederationConfig, initialModel: Uint8Array): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query('insert into federations (id, config, status, round) values ($1, $2, $3, 0)', [config.id, JSON.stringify(configToStore(config)), 'idle']);
      await insertModel(tx, config.id, 0, initialModel);
    });
  }

  async setStatus(federationId: string, status: FederationStatus): Promise<void> {
    await this.db.query('update federations set status = $2 where id = $1', [federationId, status]);
  }

  async replaceConfigIfUnstarted(config: FederationConfig, initialModel: Uint8Array): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const updated = await tx.query("update federations set config = $2 where id = $1 and status = 'idle' and round = 0", [
        config.id,
        JSON.stringify(configToStore(config)),
      ]);
      if (updated.affectedRows !== 1) return false;
      await tx.query('update models set bytes = $2 where federation_id = $1 and round = 0', [config.id, initialModel]);
      return true;
    });
  }

  async archivedIds(): Promise<Set<string>> {
    const { rows } = await this.db.query<{ id: string }>('select id from federations where archived_at is not null');
    return new Set(rows.map((r) => r.id));
  }

  async setArchived(federationId: string, archived: boolean): Promise<void> {
    await this.db.query(`update federations set archived_at = ${archived ? 'now()' : 'null'} where id = $1`, [federationId]);
  }
}
