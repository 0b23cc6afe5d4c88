import { AdapterInfo, BackendName, DevicePlatform } from '@flock/fl-core';
import { freeShardIndex } from '../freeShardIndex.ts';
import type { DeviceRepository, NewDevice, Registration, StoredDevice } from '../store.ts';
import { toIso, type Row } from './rows.ts';
import type { SqlClient, SqlQueries } from './sqlClient.ts';

/** The devices table: which device holds which shard of a federation. */
export class SqlDevices implements DeviceRepository {
  constructor(private readonly db: SqlClient) {}

  async list(federationId: string): Promise<StoredDevice[]> {
    const { rows } = await this.db.query<Row>('select * from devices where federation_id = $1 order by shard_index', [federationId]);
    return rows.map(deviceOf);
  }

  async upsert(federationId: string, d: StoredDevice): Promise<void> {
    await this.db.query(
      `insert into devices (federation_id, device_id, shard_index, backend, adapter, rounds_contributed, examples, last_seen, platform)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       on conflict (federation_id, device_id) do update
         set backend = excluded.backend, adapter = excluded.adapter, last_seen = excluded.last_seen, platform = excluded.platform`,
      [federationId, d.deviceId, d.shardIndex, d.backend, adapterOf(d), d.roundsContributed, d.examples, d.lastSeen.toISOString(), d.platform ?? null],
    );
  }

  /**
   * A known device, every reconnect included, is refreshed by one statement that waits for no other
   * registration. A device that statement did not find registers as new, checking again as it does: the same
   * device may have registered meanwhile through another coordinator.
   */
  async register(federationId: string, d: NewDevice, shardCount: number, shardSize: (shardIndex: number) => number): Promise<Registration | null> {
    const { rows: known } = await this.db.query<Row>(`${REFRESH} returning *`, refreshParams(federationId, d));
    if (known[0]) return { device: deviceOf(known[0]), isNew: false };
    if (d.ownExamples !== null) return registerOwnData(this.db, federationId, d);
    return this.db.transaction(async (tx) => {
      await lockRegistrations(tx, federationId);
      return registerOnShard(tx, federationId, d, shardCount, shardSize);
    });
  }
}

/** A known device's refresh: what it brings, and for an own-data device the examples it declares ($1-$7: refreshParams). */
const REFRESH = `update devices set backend = $3, adapter = $4::jsonb, last_seen = $5::timestamptz, platform = $7,
    examples = case when shard_index < 0 and $6::integer is not null then $6::integer else examples end
  where federation_id = $1 and device_id = $2`;

const refreshParams = (federationId: string, d: NewDevice) => [
  federationId,
  d.deviceId,
  d.backend,
  adapterOf(d),
  d.lastSeen.toISOString(),
  d.ownExamples,
  d.platform ?? null,
];

/** Any fixed number: with the federation's hash, the advisory lock new shard devices of one federation take turns under. */
const REGISTRATION_LOCK = 18_001;

/**
 * New shard devices of one federation register one at a time, each reading the shards taken before it; the
 * lock is an advisory one for the federation rather than its row, so they do not also wait on the owner's
 * writes to the federation. Held until the transaction ends.
 */
async function lockRegistrations(tx: SqlQueries, federationId: string): Promise<void> {
  const { rows } = await tx.query(`select pg_advisory_xact_lock(${REGISTRATION_LOCK}, hashtext(id)) from federations where id = $1`, [federationId]);
  if (rows.length === 0) throw new Error(`there is no stored federation "${federationId}"`);
}

/**
 * Past this many tries, each lost to another device that took the index first, a device is refused and says
 * hello again later. Never reached in practice: 3,000 devices joining through 60 connections at once took 15 at most.
 */
const OWN_DATA_TRIES = 100;

/**
 * Without a lock, in one statement: a device registered meanwhile is refreshed, otherwise it takes ownDataIndex
 * (one below the lowest negative index held, read from the (federation_id, shard_index) index alone). When
 * another registration took that index (or this device) since the statement's snapshot, the unique index
 * turns the insert into nothing and the statement runs again on a newer snapshot. No index is skipped: an
 * insert at i succeeds only while i is free, and i - 1 is taken only after i was.
 */
async function registerOwnData(db: SqlQueries, federationId: string, d: NewDevice): Promise<Registration> {
  for (let tries = 0; tries < OWN_DATA_TRIES; tries++) {
    const { rows } = await db
      .query<Row>(
        `with known as (${REFRESH} returning *),
         inserted as (
           insert into devices (federation_id, device_id, shard_index, backend, adapter, rounds_contributed, examples, last_seen, platform)
           select $1, $2, (select coalesce(min(shard_index), 0) - 1 from devices where federation_id = $1 and shard_index < 0),
             $3, $4::jsonb, 0, $6, $5::timestamptz, $7
           where not exists (select 1 from known)
           on conflict do nothing
           returning *
         )
         select *, false as is_new from known union all select *, true as is_new from inserted`,
        refreshParams(federationId, d),
      )
      .catch((err: unknown) => {
        throw (err as { code?: string }).code === FOREIGN_KEY_VIOLATION ? new Error(`there is no stored federation "${federationId}"`) : err;
      });
    if (rows[0]) return { device: deviceOf(rows[0]), isNew: rows[0].is_new === true };
  }
  throw new Error(
    `device "${d.deviceId}" found no free index in federation "${federationId}" after ${OWN_DATA_TRIES} tries, as other devices kept joining: it can say hello again`,
  );
}

/** PostgreSQL's foreign_key_violation: a device of a federation that is not stored. */
const FOREIGN_KEY_VIOLATION = '23503';

/** Under the lock: a device registered meanwhile is refreshed, otherwise it takes the lowest free shard (shards are few: they are read whole). */
async function registerOnShard(
  tx: SqlQueries,
  federationId: string,
  d: NewDevice,
  shardCount: number,
  shardSize: (shardIndex: number) => number,
): Promise<Registration | null> {
  const { rows: known } = await tx.query<Row>(`${REFRESH} returning *`, refreshParams(federationId, d));
  if (known[0]) return { device: deviceOf(known[0]), isNew: false };
  const { rows: taken } = await tx.query<Row>('select shard_index from devices where federation_id = $1 and shard_index >= 0', [federationId]);
  const shardIndex = freeShardIndex(new Set(taken.map((r) => Number(r.shard_index))), shardCount);
  if (shardIndex === null) return null;
  const { rows: inserted } = await tx.query<Row>(
    `insert into devices (federation_id, device_id, shard_index, backend, adapter, rounds_contributed, examples, last_seen, platform)
     values ($1, $2, $3, $4, $5, 0, $6, $7, $8)
     returning *`,
    [federationId, d.deviceId, shardIndex, d.backend, adapterOf(d), shardSize(shardIndex), d.lastSeen.toISOString(), d.platform ?? null],
  );
  return { device: deviceOf(inserted[0]!), isNew: true };
}

const adapterOf = (d: { adapter: AdapterInfo | null }): string | null => (d.adapter == null ? null : JSON.stringify(d.adapter));

function deviceOf(r: Row): StoredDevice {
  return {
    deviceId: String(r.device_id),
    shardIndex: Number(r.shard_index),
    backend: r.backend == null ? null : BackendName.parse(r.backend),
    adapter: r.adapter == null ? null : AdapterInfo.parse(r.adapter),
    ...(r.platform == null ? {} : { platform: DevicePlatform.parse(r.platform) }),
    roundsContributed: Number(r.rounds_contributed),
    examples: Number(r.examples),
    lastSeen: new Date(toIso(r.last_seen)),
  };
}
