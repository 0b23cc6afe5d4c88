import type { PartialAggregate } from '@flock/fl-core';
import type { CoordinatorTraffic, CountedUpdate, FoldOutcome, LeaseFence, RoundTraffic, SealedRound, SharedRound, SharedRoundRepository } from '../store.ts';
import { sumOfPartials } from '../sumOfPartials.ts';
import type { MemoryLeases } from './memoryLeases.ts';

interface OpenRound {
  round: SharedRound;
  /** By device id. */
  receipts: Map<string, CountedUpdate>;
  /** By coordinator id. */
  partials: Map<string, PartialAggregate>;
  /** By coordinator id. */
  traffic: Map<string, RoundTraffic>;
  sealed: boolean;
}

/** Shared rounds in this process, fenced by its leases; copies in and out, as a database would give. */
export class MemorySharedRounds implements SharedRoundRepository {
  private readonly rounds = new Map<string, OpenRound>();

  constructor(private readonly leases: MemoryLeases) {}

  async open(round: SharedRound, fence: LeaseFence): Promise<boolean> {
    if (!this.leases.holds(round.federationId, fence)) return false;
    this.rounds.set(round.federationId, { round: copyRound(round), receipts: new Map(), partials: new Map(), traffic: new Map(), sealed: false });
    return true;
  }

  async current(federationId: string): Promise<SharedRound | null> {
    const open = this.rounds.get(federationId);
    return open ? copyRound(open.round) : null;
  }

  async fold(
    federationId: string,
    attempt: string,
    coordinatorId: string,
    items: { update: CountedUpdate; partial: PartialAggregate }[],
  ): Promise<FoldOutcome[] | 'stale'> {
    const open = this.opened(federationId, attempt);
    if (!open || open.sealed) return 'stale';
    const received = new Map<string, CountedUpdate>();
    const outcomes = items.map(({ update }): FoldOutcome => {
      if (open.receipts.has(update.deviceId) || received.has(update.deviceId)) return 'duplicate';
      received.set(update.deviceId, { ...update, coordinatorId });
      return 'counted';
    });
    const added = items.filter((_, i) => outcomes[i] === 'counted').map((item) => item.partial);
    if (added.length === 0) return outcomes;
    // Summed before anything is kept, so a partial that does not fit leaves nothing behind (as a rolled-back transaction).
    const stored = open.partials.get(coordinatorId);
    open.partials.set(coordinatorId, sumOfPartials(stored ? [stored, ...added] : added));
    for (const [deviceId, receipt] of received) open.receipts.set(deviceId, receipt);
    return outcomes;
  }

  async partials(federationId: string, attempt: string): Promise<PartialAggregate[]> {
    const open = this.opened(federationId, attempt);
    return [...(open?.partials ?? [])].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, p]) => ({ ...p, weightedSum: p.weightedSum.slice() }));
  }

  async receipts(federationId: string, attempt: string): Promise<CountedUpdate[]> {
    const open = this.opened(federationId, attempt);
    return [...(open?.receipts.values() ?? [])].sort((a, b) => (a.deviceId < b.deviceId ? -1 : 1)).map((r) => ({ ...r }));
  }

  async sent(federationId: string, attempt: string, coordinatorId: string, traffic: RoundTraffic): Promise<boolean> {
    const open = this.opened(federationId, attempt);
    if (!open || open.sealed) return false;
    const stored = open.traffic.get(coordinatorId);
    open.traffic.set(coordinatorId, {
      bytesDown: (stored?.bytesDown ?? 0) + traffic.bytesDown,
      abandonedBytesUp: Math.max(stored?.abandonedBytesUp ?? 0, traffic.abandonedBytesUp),
      abandonedBytesDown: Math.max(stored?.abandonedBytesDown ?? 0, traffic.abandonedBytesDown),
    });
    return true;
  }

  async seal(federationId: string, attempt: string, fence: LeaseFence): Promise<SealedRound | null> {
    if (!this.leases.holds(federationId, fence)) return null;
    const open = this.opened(federationId, attempt);
    if (open) open.sealed = true;
    const traffic = [...(open?.traffic ?? [])].sort(([a], [b]) => (a < b ? -1 : 1)).map(([coordinatorId, t]): CoordinatorTraffic => ({ coordinatorId, ...t }));
    return { partials: await this.partials(federationId, attempt), receipts: await this.receipts(federationId, attempt), traffic };
  }

  async discard(federationId: string, fence: LeaseFence): Promise<boolean> {
    if (!this.leases.holds(federationId, fence)) return false;
    this.end(federationId);
    return true;
  }

  /** The owner saved the round (MemoryStore's fenced rounds.save). */
  end(federationId: string): void {
    this.rounds.delete(federationId);
  }

  private opened(federationId: string, attempt: string): OpenRound | undefined {
    const open = this.rounds.get(federationId);
    return open?.round.attempt === attempt ? open : undefined;
  }
}

function copyRound(round: SharedRound): SharedRound {
  return { ...round, selected: [...round.selected] };
}
