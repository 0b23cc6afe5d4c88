import { AdapterInfo, BackendName, DevicePlatform } from '@flock/fl-core';
import { freeShardIndex } from '../freeShardIndex.ts';
import type { DeviceRepository, NewDevice, Registration, StoredDevice } from '../store.ts';
import { toIso, type Row } from './rows.ts';
import type { SqlClient } from './sqlClient.ts';

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

  async register(federationId: string, d: NewDevice, shardCount: number, shardSize: (shardIndex: number) => number): Promise<Registration | null> {
    return this.db.transaction(async (tx) => {
      // Registrations into one federation queue on its row until each commits, so each reads the indices taken before it.
      // NO KEY UPDATE: rows that merely reference the federation (rounds, models, devices) are written without waiting.
      const { rows: federation } = await tx.query('select 1 from federations where id = $1 for no key update', [federationId]);
      if (federation.length === 0) throw new Error(`there is no stored federation "${federationId}"`);
      const { rows: known } = await tx.query<Row>(
        `update devices set backend = $3, adapter = $4, last_seen = $5, platform = $7,
           examples = case when shard_index < 0 and $6::integer is not null then $6::integer else examples end
         where federation_id = $1 and device_id = $2
         returning *`,
        [federationId, d.deviceId, d.backend, adapterOf(d), d.lastSeen.toISOString(), d.ownExamples, d.platform ?? null],
      );
      if (known[0]) return { device: deviceOf(known[0]), isNew: false };
      const { rows: taken } = await tx.query<Row>('select shard_index from devices where federation_id = $1', [federationId]);
      const shardIndex = freeShardIndex(new Set(taken.map((r) => Number(r.shard_index))), d.ownExamples !== null, shardCount);
      if (shardIndex === null) return null;
      const { rows: inserted } = await tx.query<Row>(
        `insert into devices (federation_id, device_id, shard_index, backend, adapter, rounds_contributed, examples, last_seen, platform)
         values ($1, $2, $3, $4, $5, 0, $6, $7, $8)
         returning *`,
        [federationId, d.deviceId, shardIndex, d.backend, adapterOf(d), d.ownExamples ?? shardSize(shardIndex), d.lastSeen.toISOString(), d.platform ?? null],
      );
      return { device: deviceOf(inserted[0]!), isNew: true };
    });
  }
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
