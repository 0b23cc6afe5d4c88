import type { EventLogEntry } from '@flock/fl-core';
import type { EventLogLimits, EventPage, EventPageQuery, EventQuery, EventRows, LoggedRow } from '../eventLog.ts';
import { toIso, type Row } from './rows.ts';
import type { SqlClient, SqlQueries } from './sqlClient.ts';

/** The `events` table: one row per event, a repeat updating its row's count. */
export class SqlEventRows implements EventRows {
  constructor(private readonly db: SqlClient) {}

  /** At most two statements whatever the batch's size: one update for the rows already stored, one insert for the rest. */
  async write(batch: readonly LoggedRow[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      const found = await update(
        tx,
        batch.filter((row) => row.id !== null),
      );
      // Retention may have deleted a row meanwhile: it is written again.
      await insert(
        tx,
        batch.filter((row) => row.id === null || !found.has(row.id)),
      );
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

/** Gives stored rows their new count and time; returns the ids still there to update. */
async function update(tx: SqlQueries, rows: readonly LoggedRow[]): Promise<Set<number>> {
  if (rows.length === 0) return new Set();
  const { rows: updated } = await tx.query<{ id: number }>(
    `update events set count = v.count, at = v.at
     from unnest($1::bigint[], $2::integer[], $3::timestamptz[]) as v(id, count, at)
     where events.id = v.id returning events.id`,
    [rows.map((row) => row.id), rows.map((row) => row.count), rows.map((row) => row.entry.at)],
  );
  return new Set(updated.map((r) => Number(r.id)));
}

/** Inserts `rows` in order and gives each its id: the sequence numbers them in the order the select yields them. */
async function insert(tx: SqlQueries, rows: readonly LoggedRow[]): Promise<void> {
  if (rows.length === 0) return;
  const column = <T>(of: (row: LoggedRow) => T) => rows.map(of);
  const { rows: inserted } = await tx.query<{ id: number }>(
    `insert into events (at, federation_id, level, kind, message, device_id, count, first_at)
     select at, federation_id, level, kind, message, device_id, count, first_at
     from unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::integer[], $8::timestamptz[])
       with ordinality as r(at, federation_id, level, kind, message, device_id, count, first_at, position)
     order by position returning id`,
    [
      column((r) => r.entry.at),
      column((r) => r.entry.federationId),
      column((r) => r.entry.level),
      column((r) => r.entry.kind),
      column((r) => r.entry.message),
      column((r) => r.entry.deviceId),
      column((r) => r.count),
      column((r) => r.firstAt),
    ],
  );
  const ids = inserted.map((r) => Number(r.id)).sort((a, b) => a - b);
  rows.forEach((row, i) => (row.id = ids[i]!));
}
