import type { EventLogEntry, FederationConfig, RoundRecord } from '@flock/fl-core';

/** A completed round as `flock simulate` reports it: the coordinator's record and what the simulation saw. */
export interface RoundReport extends RoundRecord {
  /** Selected devices that dropped out of this round (the simulation's own count). */
  dropped: number;
  /** The coordinator extended the round's deadline once because too few devices had answered. */
  extended: boolean;
  /** Why the round closed, from the event log: null where the log no longer holds its entry. */
  closedBy: ClosedBy | null;
  /** Synchronous rounds: closed by their deadline (early, or at it with the quorum), not extended; null in async mode. */
  withinDeadline: boolean | null;
}

export type ClosedBy = 'all-answered' | 'deadline' | 'buffer-full';

/** The coordinator's 'round-closed' event says how in words (federationRuntime's finishRound). */
function closedByOf(message: string): ClosedBy | null {
  if (message.includes('closed at its deadline')) return 'deadline';
  if (message.includes('closed with a full buffer')) return 'buffer-full';
  if (message.includes('closed with every selected device')) return 'all-answered';
  return null;
}

/**
 * What a simulation tallies beside the coordinator's round records: its own dropouts per round, and
 * from the event log the abandoned attempts ('round-abandoned') and extended rounds ('round-extended').
 * The event log is read in windows of its newest entries, so events are counted once by their identity.
 */
export class RoundLedger {
  private readonly droppedByRound = new Map<number, number>();
  private readonly counted = new Set<string>();
  private readonly extendedRounds = new Set<number>();
  private readonly closedBy = new Map<number, ClosedBy>();
  private abandonedAttempts = 0;

  constructor(private readonly config: FederationConfig) {}

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
      const round = Number(/round (\d+)/.exec(e.message)?.[1] ?? Number.NaN);
      if (e.kind === 'round-closed') {
        const how = closedByOf(e.message);
        if (how && Number.isInteger(round)) this.closedBy.set(round, how);
        continue;
      }
      if (e.kind !== 'round-abandoned' && e.kind !== 'round-extended') continue;
      const key = `${e.at}|${e.kind}|${e.message}`;
      if (this.counted.has(key)) continue;
      this.counted.add(key);
      if (e.kind === 'round-abandoned') this.abandonedAttempts++;
      if (e.kind === 'round-extended' && Number.isInteger(round)) this.extendedRounds.add(round);
    }
  }

  report(record: RoundRecord): RoundReport {
    const extended = this.extendedRounds.has(record.round);
    return {
      ...record,
      dropped: this.droppedByRound.get(record.round) ?? 0,
      extended,
      closedBy: this.closedBy.get(record.round) ?? null,
      // An unextended synchronous round closes by its deadline: the coordinator closes or extends it there.
      withinDeadline: this.config.mode.kind === 'async' ? null : !extended,
    };
  }
}
