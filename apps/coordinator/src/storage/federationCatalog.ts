import type { PGlite } from '@electric-sql/pglite';
import { DEFAULT_CODEC, type FederationConfig } from '@flock/fl-core';

/** The operator's bookkeeping beside the federations table: edited configs and the archive. */
export class FederationCatalog {
  constructor(private readonly db: PGlite) {}

  async archivedIds(): Promise<Set<string>> {
    const { rows } = await this.db.query<{ id: string }>('select id from federations where archived_at is not null');
    return new Set(rows.map((r) => r.id));
  }

  async setArchived(federationId: string, archived: boolean): Promise<void> {
    await this.db.query(`update federations set archived_at = ${archived ? 'now()' : 'null'} where id = $1`, [federationId]);
  }

  /**
   * An edit before the first start: the config and its round-0 model change together, and only
   * while the stored federation is still idle at round 0. Returns false when it no longer is.
   */
  async replaceConfig(config: FederationConfig, initialModel: Uint8Array): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const updated = await tx.query(
        "update federations set config = $2 where id = $1 and status = 'idle' and round = 0",
        // Stored with its codec, as at creation: only configs from before codecs read as the legacy codec.
        [config.id, JSON.stringify({ ...config, codec: config.codec ?? DEFAULT_CODEC })],
      );
      if (updated.affectedRows !== 1) return false;
      await tx.query('update models set bytes = $2 where federation_id = $1 and round = 0', [config.id, initialModel]);
      return true;
    });
  }
}
