import type { EventLogEntry, RoundRecord } from '@flock/fl-core';

/** A completed round as `flockctl simulate` reports it: the coordinator's record and what the simulation saw. */
export interface RoundReport extends RoundRecord {
  /** Selected devices that dropped out of this round (the simulation's own count). */
  dropped: number;
  /** Synchronous rounds: closed within the deadline they started with (not extended); null in async mode. */
  withinDeadline: boolean | null;
}

/**
 * What a simulation tallies beside the coordinator's round records: its own dropouts per round, and
 * from the event log the abandoned attempts ('round-abandoned'). The event log is read in windows
 * of its newest entries, so events are counted once by their identity.
 */
export class RoundLedger {
  private readonly droppedByRound = new Map<number, number>();
  private readonly counted = new Set<string>();
  private abandonedAttempts = 0;

  noteDropped(round: number): void {
    this.droppedByRound.set(round, (this.droppedByRound.get(round) ?? 0) + 1);
  }

  get droppedTotal(): number {
    let total = 0;
    for (const n of this.droppedByRound.values()) total += n;
    return total;
  }

  get abandoned(): number {
    return this.abandonedAttempts;
  }

  noteEvents(events: readonly EventLogEntry[]): void {
    for (const e of events) {
      if (e.kind !== 'round-abandoned') continue;
      const key = `${e.at}|${e.message}`;
      if (this.counted.has(key)) continue;
      this.counted.add(key);
      this.abandonedAttempts++;
    }
  }

  report(record: RoundRecord): RoundReport {
    return {
      ...record,
      dropped: this.droppedByRound.get(record.round) ?? 0,
      withinDeadline: record.deadlineMs === null ? null : !record.extended && record.durationMs <= record.deadlineMs,
    };
  }
}
