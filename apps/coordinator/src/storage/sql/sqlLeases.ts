import type { FederationLease, LeaseFence, LeaseRepository } from '../store.ts';
import type { SqlClient, SqlQueries } from './sqlClient.ts';

interface LeaseRow {
  federation_id: string;
  holder: string;
  epoch: string | number;
  expires_at: Date;
}

const toLease = (r: LeaseRow): FederationLease => ({ federationId: r.federation_id, holder: r.holder, epoch: Number(r.epoch), expiresAt: r.expires_at });

/** The `federation_leases` table. Each operation is one statement, so concurrent coordinators need no row locks: the database orders them. */
export class SqlLeases implements LeaseRepository {
  constructor(private readonly db: SqlClient) {}

  async acquire(federationId: string, holder: string, ttlMs: number): Promise<FederationLease | null> {
    const { rows } = await this.db.query<LeaseRow>(
      `insert into federation_leases (federation_id, holder, epoch, expires_at)
       values ($1, $2, 1, now() + $3 * interval '1 millisecond')
       on conflict (federation_id) do update
         set holder = excluded.holder, epoch = federation_leases.epoch + 1, expires_at = excluded.expires_at
         where federation_leases.expires_at <= now() or federation_leases.holder = excluded.holder
       returning federation_id, holder, epoch, expires_at`,
      [federationId, holder, ttlMs],
    );
    return rows[0] ? toLease(rows[0]) : null;
  }

  async renew(federationId: string, holder: string, epoch: number, ttlMs: number): Promise<boolean> {
    const { affectedRows } = await this.db.query(
      `update federation_leases set expires_at = now() + $4 * interval '1 millisecond' where federation_id = $1 and holder = $2 and epoch = $3`,
      [federationId, holder, epoch, ttlMs],
    );
    return affectedRows === 1;
  }

  async release(federationId: string, holder: string, epoch: number): Promise<void> {
    await this.db.query(`update federation_leases set expires_at = now() where federation_id = $1 and holder = $2 and epoch = $3`, [
      federationId,
      holder,
      epoch,
    ]);
  }

  async list(): Promise<FederationLease[]> {
    const { rows } = await this.db.query<LeaseRow>('select federation_id, holder, epoch, expires_at from federation_leases order by federation_id');
    return rows.map(toLease);
  }
}

/**
 * Within a transaction, whether `fence` still holds the federation's lease (same holder and epoch, not
 * expired by the database's clock). The lease row stays share-locked until the transaction ends, so a
 * takeover waits for the fenced write to commit, and a fenced write after a takeover sees the new holder.
 */
export async function leaseHolds(tx: SqlQueries, federationId: string, fence: LeaseFence): Promise<boolean> {
  const { rows } = await tx.query('select 1 from federation_leases where federation_id = $1 and holder = $2 and epoch = $3 and expires_at > now() for share', [
    federationId,
    fence.holder,
    fence.epoch,
  ]);
  return rows.length === 1;
}
