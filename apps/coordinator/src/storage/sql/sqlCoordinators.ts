import type { CoordinatorHeartbeatInfo, CoordinatorInfo, CoordinatorRepository } from '../store.ts';
import type { SqlClient } from './sqlClient.ts';

interface CoordinatorRow {
  id: string;
  url: string;
  started_at: Date;
  last_seen: Date;
  devices: number;
  alive: boolean;
}

/** The `coordinators` table: one row per coordinator sharing the database, its last-seen time and liveness by the server's clock. */
export class SqlCoordinators implements CoordinatorRepository {
  constructor(private readonly db: SqlClient) {}

  async heartbeat(info: CoordinatorHeartbeatInfo): Promise<void> {
    await this.db.query(
      `insert into coordinators (id, url, started_at, last_seen, devices) values ($1, $2, $3, now(), $4)
       on conflict (id) do update set url = excluded.url, started_at = excluded.started_at, last_seen = excluded.last_seen, devices = excluded.devices`,
      [info.id, info.url, info.startedAt, info.devices],
    );
  }

  async list(aliveWithinMs: number): Promise<CoordinatorInfo[]> {
    const { rows } = await this.db.query<CoordinatorRow>(
      `select id, url, started_at, last_seen, devices, last_seen > now() - $1 * interval '1 millisecond' as alive from coordinators order by id`,
      [aliveWithinMs],
    );
    return rows.map((r) => ({ id: r.id, url: r.url, startedAt: r.started_at, lastSeen: r.last_seen, devices: r.devices, alive: r.alive }));
  }

  async remove(id: string): Promise<void> {
    await this.db.query('delete from coordinators where id = $1', [id]);
  }
}
