import type { EventLogEntry } from '@flock/fl-core';
import type { EventLogLimits, EventPage, EventPageQuery, EventQuery, EventRows, LoggedRow } from '../eventLog.ts';

interface EventRow {
  id: number;
  entry: EventLogEntry;
  count: number;
  firstAt: string;
}

const DAY_MS = 86_400_000;

/** The event log's rows in memory, oldest first; ids come from a counter, so keyset paging works as in a database. */
export class MemoryEventRows implements EventRows {
  private readonly rows = new Map<number, EventRow>();
  private lastId = 0;

  async write(batch: readonly LoggedRow[]): Promise<void> {
    for (const logged of batch) {
      const kept = logged.id === null ? undefined : this.rows.get(logged.id);
      if (kept) {
        kept.count = logged.count;
        kept.entry = { ...kept.entry, at: isoOf(logged.entry.at) };
        continue;
      }
      const id = ++this.lastId;
      this.rows.set(id, { id, entry: { ...logged.entry, at: isoOf(logged.entry.at) }, count: logged.count, firstAt: isoOf(logged.firstAt) });
      logged.id = id;
    }
  }

  async deleteBeyond(limits: EventLogLimits): Promise<number> {
    const before = this.rows.size;
    const oldest = Date.now() - limits.maxAgeDays * DAY_MS;
    for (const [id, row] of this.rows) if (Date.parse(row.entry.at) < oldest) this.rows.delete(id);
    const kept = new Map<string | null, number>();
    for (const [id, row] of [...this.rows].reverse()) {
      const seen = (kept.get(row.entry.federationId) ?? 0) + 1;
      kept.set(row.entry.federationId, seen);
      if (seen > limits.maxRowsPerFederation) this.rows.delete(id);
    }
    return before - this.rows.size;
  }

  async page(federationId: string, query: EventPageQuery): Promise<EventPage> {
    const matching = this.newestFirst(federationId, query).filter((r) => !query.text || r.entry.message.toLowerCase().includes(query.text.toLowerCase()));
    const items = matching.filter((r) => query.beforeId === null || r.id < query.beforeId).slice(0, query.limit);
    return { items: items.map((r) => ({ id: r.id, ...shown(r) })), total: matching.length };
  }

  async recent(federationId: string, limit: number, query: EventQuery): Promise<EventLogEntry[]> {
    return this.newestFirst(federationId, query).slice(0, limit).reverse().map(shown);
  }

  private newestFirst(federationId: string, query: EventQuery): EventRow[] {
    const kinds = query.kinds && query.kinds.length > 0 ? new Set(query.kinds) : null;
    return [...this.rows.values()]
      .reverse()
      .filter((r) => r.entry.federationId === federationId && (!kinds || kinds.has(r.entry.kind)) && (!query.level || r.entry.level === query.level));
  }
}

function shown(r: EventRow): EventLogEntry {
  return r.count > 1 ? { ...r.entry, count: r.count, firstAt: r.firstAt } : { ...r.entry };
}

/** As a database's timestamp gives it back. */
export function isoOf(time: string): string {
  return new Date(time).toISOString();
}
