import type { Role, TokenKind, TokenRecord } from '@flock/fl-core';
import type { TokenRepository } from '../store.ts';
import type { SqlClient } from './sqlClient.ts';

interface TokenRow {
  jti: string;
  kind: TokenKind;
  role: Role;
  federation_id: string | null;
  device_id: string | null;
  label: string | null;
  created_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
}

const toRecord = (r: TokenRow): TokenRecord => ({
  id: r.jti,
  kind: r.kind,
  role: r.role,
  federationId: r.federation_id,
  deviceId: r.device_id,
  label: r.label,
  createdAt: r.created_at.toISOString(),
  expiresAt: r.expires_at.toISOString(),
  revokedAt: r.revoked_at?.toISOString() ?? null,
});

/** The `auth_tokens` table; a partial unique index keeps one live credential per device id. */
export class SqlTokens implements TokenRepository {
  constructor(private readonly db: SqlClient) {}

  async insert(record: Omit<TokenRecord, 'createdAt' | 'revokedAt'>): Promise<boolean> {
    const result = await this.db.query(
      `insert into auth_tokens (jti, kind, role, federation_id, device_id, label, expires_at) values ($1, $2, $3, $4, $5, $6, $7)
       on conflict do nothing`,
      [record.id, record.kind, record.role, record.federationId, record.deviceId, record.label, record.expiresAt],
    );
    return result.affectedRows === 1;
  }

  async revoke(id: string): Promise<TokenRecord | null> {
    const result = await this.db.query<TokenRow>(`update auth_tokens set revoked_at = coalesce(revoked_at, now()) where jti = $1 returning *`, [id]);
    return result.rows[0] ? toRecord(result.rows[0]) : null;
  }

  async revokedIds(): Promise<string[]> {
    return (await this.db.query<{ jti: string }>(`select jti from auth_tokens where revoked_at is not null`)).rows.map((r) => r.jti);
  }

  async listMinted(federationId?: string): Promise<TokenRecord[]> {
    const result = await this.db.query<TokenRow>(
      `select * from auth_tokens where kind in ('viewer', 'enrollment') and ($1::text is null or federation_id = $1)
       order by created_at desc limit 1000`,
      [federationId ?? null],
    );
    return result.rows.map(toRecord);
  }

  async isBound(federationId: string, deviceId: string): Promise<boolean> {
    await this.db.query(
      `update auth_tokens set revoked_at = now()
       where kind = 'device' and federation_id = $1 and device_id = $2 and revoked_at is null and expires_at < now()`,
      [federationId, deviceId],
    );
    const result = await this.db.query(`select 1 from auth_tokens where kind = 'device' and federation_id = $1 and device_id = $2 and revoked_at is null`, [
      federationId,
      deviceId,
    ]);
    return result.rows.length > 0;
  }
}
