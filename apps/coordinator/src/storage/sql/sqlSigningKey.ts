import { newSigningKey } from '../../auth/signingKey.ts';
import { bytesOf } from './rows.ts';
import type { SqlClient } from './sqlClient.ts';

/**
 * The `signing_key` table's one row: the key every coordinator sharing the database signs and checks
 * tokens with, so a token one of them minted works on all of them.
 */
export class SqlSigningKey {
  constructor(private readonly db: SqlClient) {}

  /** The stored key; when there is none, a new one is stored first (of coordinators starting together, the first insert wins and all read it). */
  async open(): Promise<{ key: Uint8Array; generated: boolean }> {
    const { affectedRows } = await this.db.query('insert into signing_key (key) values ($1) on conflict (one) do nothing', [newSigningKey()]);
    const { rows } = await this.db.query<{ key: Uint8Array }>('select key from signing_key');
    return { key: bytesOf(rows[0]!.key), generated: affectedRows === 1 };
  }

  /** Replaces the key with a new one: every token signed so far stops working. */
  async rotate(): Promise<void> {
    await this.db.query('insert into signing_key (key) values ($1) on conflict (one) do update set key = excluded.key, created_at = now()', [newSigningKey()]);
  }
}
