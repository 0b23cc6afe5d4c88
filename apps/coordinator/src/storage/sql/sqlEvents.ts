import type { EventLogEntry } from '@flock/fl-core';
import type { EventLogLimits, EventPage, EventPageQuery, EventQuery, EventRows, LoggedRow } from '../eventLog.ts';
import { toIso, type Row } from './rows.ts';
import type { SqlClient, SqlQueries } from './sqlClient.ts';

/** The `events` table: one row per event, a repeat updating its row's count. */
export class SqlEventRows implements EventRows {
  constructor(private readonly db: SqlClient) {}

  async write(batch: readonly LoggedRow[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      for (const row of batch) await write(tx, row);
    });
  }

  async deleteBeyond(limits: EventLogLimits): Promise<number> {
    const byAge = await this.db.query(`delete from events where at < now() - make_interval(days => $1)`, [limits.maxAgeDays]);
    const byCount = await this.db.query(
      `delete from events where id in (
         select id from (select id, row_number() over (partition by federation_id order by id desc) as rank from events) ranked
         where rank > $1)`,
      [limits.maxRowsPerFederation],
    );
    return byAge.affectedRows + byCount.affectedRows;
  }

  async page(federationId: string, page: EventPageQuery): Promise<EventPage> {
    const where = `federation_id = $1 and ($2::text[] is null or kind = any($2)) and ($3::text is null or level = $3)
      and ($4::text is null or strpos(lower(message), lower($4)) > 0)`;
    const params = [federationId, page.kinds && page.kinds.length > 0 ? [...page.kinds] : null, page.level ?? null, page.text || null];
    const [{ rows }, counted] = await Promise.all([
      this.db.query<Row>(`select * from events where ${where} and ($5::bigint is null or id < $5) order by id desc limit $6`, [
        ...params,
        page.beforeId,
        page.limit,
      ]),
      this.db.query<{ total: number }>(`select count(*)::int as total from events where ${where}`, params),
    ]);
    return { items: rows.map((r) => ({ id: Number(r.id), ...eventOf(r) })), total: Number(counted.rows[0]?.total ?? 0) };
  }

  async recent(federationId: string, limit: number, filter: EventQuery): Promise<EventLogEntry[]> {
    const { rows } = await this.db.query<Row>(
      `select * from (
         select * from events
         where federation_id = $1 and ($3::text[] is null or kind = any($3)) and ($4::text is null or level = $4)
         order by id desc limit $2
       ) recent order by id`,
      [federationId, limit, filter.kinds && filter.kinds.length > 0 ? [...filter.kinds] : null, filter.level ?? null],
    );
    return rows.map(eventOf);
  }
}

function eventOf(r: Row): EventLogEntry {
  return {
    at: toIso(r.at),
    federationId: r.federation_id == null ? null : String(r.federation_id),
    level: r.level === 'warn' ? 'warn' : 'info',
    kind: String(r.kind),
    message: String(r.message),
    deviceId: r.device_id == null ? null : String(r.device_id),
    ...(Number(r.count) > 1 ? { count: Number(r.count), firstAt: toIso(r.first_at) } : {}),
  };
}

async function write(tx: SqlQueries, row: LoggedRow): Promise<void> {
  const e = row.entry;
  if (row.id !== null) {
    const updated = await tx.query('update events set count = $2, at = $3 where id = $1', [row.id, row.count, e.at]);
    // Retention may have deleted the row meanwhile: write it again.
    if (updated.affectedRows > 0) return;
  }
  const { rows } = await tx.query<{ id: number }>(
    `insert into events (at, federation_id, level, kind, message, device_id, count, first_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8) returning id`,
    [e.at, e.federationId, e.level, e.kind, e.message, e.deviceId, row.count, row.firstAt],
  );
  row.id = Number(rows[0]!.id);
}
