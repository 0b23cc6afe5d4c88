import type { EventLogEntry } from '@flock/fl-core';

/** How big and how old the event log may grow, and how repeats fold into one row. */
export interface EventLogLimits {
  /** Rows kept per federation; the oldest go first. */
  maxRowsPerFederation: number;
  /** Rows older than this are deleted. */
  maxAgeDays: number;
}

export const DEFAULT_EVENT_LOG_LIMITS: EventLogLimits = { maxRowsPerFederation: 100_000, maxAgeDays: 30 };

export interface EventLogOptions {
  limits?: EventLogLimits;
  onError?: (err: unknown) => void;
}

export interface EventQuery {
  kinds?: readonly string[];
  level?: EventLogEntry['level'];
}

export interface EventPageQuery extends EventQuery {
  limit: number;
  /** Only events older than this one (keyset paging: stable while new events arrive); null: from the newest. */
  beforeId: number | null;
  /** Matches the message case-insensitively. */
  text?: string;
}

export interface EventPage {
  items: Array<EventLogEntry & { id: number }>;
  /** Every matching event, on all pages. */
  total: number;
}

/** The coordinator's event log, the part of a CoordinatorStore: EventLog below implements it, with the same rules, over any store's EventRows. */
export interface EventRepository {
  /** Logs `e` (written in the background) and returns it as the log shows it, repeats counted. */
  append(e: EventLogEntry): EventLogEntry;
  /** Resolves once every event appended so far is stored. */
  written(): Promise<void>;
  /** Applies the retention limits now (they also apply every few minutes); returns the rows deleted. */
  prune(): Promise<number>;
  /** One page of a federation's events, newest first. */
  page(federationId: string, query: EventPageQuery): Promise<EventPage>;
  /** A federation's newest `limit` events, oldest first. */
  recent(federationId: string, limit: number, query?: EventQuery): Promise<EventLogEntry[]>;
}

/** A repeat folds into its row for this long after the row's first occurrence, so a long flood still leaves a timeline. */
const COALESCE_WINDOW_MS = 5 * 60_000;
/** Rows waiting for the database; beyond this new rows are dropped (and counted) rather than queued without bound. */
const MAX_PENDING_ROWS = 1_000;
/** Sources (federation, device) whose latest row is remembered for coalescing; the least recently active are forgotten. */
const MAX_REMEMBERED_SOURCES = 10_000;
const PRUNE_EVERY_MS = 10 * 60_000;
/** The first retention pass comes soon after start, so a coordinator restarted often still prunes. */
const FIRST_PRUNE_AFTER_MS = 60_000;

/** One row of the log as the store holds it; `id` is null until the store first wrote it. */
export interface LoggedRow {
  id: number | null;
  entry: EventLogEntry;
  count: number;
  firstAt: string;
}

/** Where a store keeps the event log's rows: EventLog decides what to write, the store only writes and reads. */
export interface EventRows {
  /**
   * All in one transaction: a row with an id gets its count and time (written again when retention
   * deleted it meanwhile), a row without one is inserted and given its id (ids grow).
   */
  write(rows: readonly LoggedRow[]): Promise<void>;
  /** Deletes rows older than `limits.maxAgeDays`, then all but each federation's newest `maxRowsPerFederation`; returns how many. */
  deleteBeyond(limits: EventLogLimits): Promise<number>;
  page(federationId: string, query: EventPageQuery): Promise<EventPage>;
  recent(federationId: string, limit: number, query: EventQuery): Promise<EventLogEntry[]>;
}

const sourceOf = (e: EventLogEntry) => `${e.federationId ?? ''}\u0000${e.deviceId ?? ''}`;

/**
 * The coordinator's event log. A source repeating its latest event (same kind and message, a
 * device refused over and over) adds to that row's count instead of writing a new row, so a flood
 * costs one UPDATE per batch rather than a row per message. Writes are batched in the background;
 * retention runs on a timer, never per insert.
 */
export class EventLog implements EventRepository {
  private readonly latest = new Map<string, LoggedRow>();
  private readonly dirty = new Set<LoggedRow>();
  private readonly dropped = new Map<string, number>();
  private flushing: Promise<void> | null = null;
  private readonly limits: EventLogLimits;
  private readonly onError: (err: unknown) => void;
  private readonly pruners: NodeJS.Timeout[];
  private pruning: Promise<unknown> | null = null;

  constructor(
    private readonly rows: EventRows,
    options: EventLogOptions = {},
  ) {
    this.limits = options.limits ?? DEFAULT_EVENT_LOG_LIMITS;
    this.onError = options.onError ?? ((err) => console.error('event log:', err));
    const prune = () => {
      this.pruning ??= this.prune()
        .catch(this.onError)
        .finally(() => {
          this.pruning = null;
        });
    };
    this.pruners = [setTimeout(prune, FIRST_PRUNE_AFTER_MS), setInterval(prune, PRUNE_EVERY_MS)];
    for (const timer of this.pruners) timer.unref();
  }

  /** Records `e` and returns it as the log now shows it: with `count` and `firstAt` once it repeats. */
  append(e: EventLogEntry): EventLogEntry {
    const source = sourceOf(e);
    const previous = this.latest.get(source);
    if (previous && isRepeat(previous, e)) {
      previous.count += 1;
      previous.entry = { ...previous.entry, at: e.at };
      this.remember(source, previous);
      this.markDirty(previous);
      return shown(previous);
    }
    if (this.dirty.size >= MAX_PENDING_ROWS) {
      const federation = e.federationId ?? '';
      this.dropped.set(federation, (this.dropped.get(federation) ?? 0) + 1);
      return e;
    }
    const row: LoggedRow = { id: null, entry: e, count: 1, firstAt: e.at };
    this.remember(source, row);
    this.markDirty(row);
    return e;
  }

  /** Resolves once everything appended so far is stored (not waiting for what a flood appends meanwhile). */
  async written(): Promise<void> {
    const inNextBatch = this.dirty.size > 0 || this.dropped.size > 0;
    if (this.flushing) await this.flushing;
    if (inNextBatch && this.flushing) await this.flushing;
  }

  /** Deletes rows beyond each federation's row limit and rows older than the age limit. */
  async prune(): Promise<number> {
    await this.written();
    return this.rows.deleteBeyond(this.limits);
  }

  /** Waits for what was appended before it, never for a flood that goes on meanwhile. */
  async page(federationId: string, query: EventPageQuery): Promise<EventPage> {
    await this.written();
    return this.rows.page(federationId, query);
  }

  async recent(federationId: string, limit: number, query: EventQuery = {}): Promise<EventLogEntry[]> {
    await this.written();
    return this.rows.recent(federationId, limit, query);
  }

  async close(): Promise<void> {
    for (const timer of this.pruners) clearTimeout(timer);
    await this.pruning;
    while (this.flushing) await this.flushing;
  }

  private remember(source: string, row: LoggedRow): void {
    // Map order is insertion order: re-inserting keeps the most recently active sources last.
    this.latest.delete(source);
    this.latest.set(source, row);
    if (this.latest.size > MAX_REMEMBERED_SOURCES) this.latest.delete(this.latest.keys().next().value!);
  }

  private markDirty(row: LoggedRow): void {
    this.dirty.add(row);
    this.scheduleBatch();
  }

  /** One batch at a time; what arrives while it is written goes in the next one. */
  private scheduleBatch(): void {
    this.flushing ??= this.writeBatch().finally(() => {
      this.flushing = null;
      if (this.dirty.size > 0 || this.dropped.size > 0) this.scheduleBatch();
    });
  }

  private async writeBatch(): Promise<void> {
    const batch = [...this.dirty];
    this.dirty.clear();
    const drops = [...this.dropped];
    this.dropped.clear();
    try {
      await this.rows.write([...batch, ...drops.map(([federation, count]) => droppedRow(federation, count))]);
    } catch (err) {
      this.onError(err);
    }
  }
}

function isRepeat(previous: LoggedRow, e: EventLogEntry): boolean {
  return (
    previous.entry.kind === e.kind &&
    previous.entry.message === e.message &&
    previous.entry.level === e.level &&
    Date.parse(e.at) - Date.parse(previous.firstAt) < COALESCE_WINDOW_MS
  );
}

function shown(row: LoggedRow): EventLogEntry {
  return row.count === 1 ? row.entry : { ...row.entry, count: row.count, firstAt: row.firstAt };
}

function droppedRow(federation: string, count: number): LoggedRow {
  const entry: EventLogEntry = {
    at: new Date().toISOString(),
    federationId: federation || null,
    level: 'warn',
    kind: 'events-dropped',
    message: `${count} events were not written: the database fell behind the flood of events`,
    deviceId: null,
  };
  return { id: null, entry, count: 1, firstAt: entry.at };
}
