import type { Logger } from 'pino';
import type { FederationLease, LeaseFence, LeaseRepository } from '../storage/store.ts';

/** A lease lasts this long unless renewed: how long a dead owner's federations wait for another coordinator. */
export const LEASE_TTL_MS = 5_000;
/** Renew (and look for expired leases) this often: several renewals fit in one lease, so a slow query does not lose it. */
export const LEASE_TICK_MS = 1_000;

export interface OwnershipDeps {
  leases: LeaseRepository;
  coordinatorId: string;
  /** The federations this coordinator serves. */
  federations: () => Iterable<string>;
  /** This coordinator now owns the federation; `previous` is the lease it took over (null when nobody held it). */
  promote(federationId: string, fence: LeaseFence, previous: FederationLease | null): Promise<void>;
  /** This coordinator lost the federation (another took it, or it could not renew in time). */
  demote(federationId: string): Promise<void>;
  logger: Logger;
}

/**
 * Which federations this coordinator runs, under leases in the shared database: each tick it
 * renews what it holds and takes what nobody holds or whose owner stopped renewing. The lease's
 * epoch fences a coordinator that lost it: its writes of rounds are refused (LeaseLostError).
 */
export class FederationOwnership {
  private readonly held = new Map<string, number>();
  /**
   * Each federation's takeovers and handovers, chained so they run in order. The tick does not wait for
   * them: a takeover took up to 10 s (loading the federation, asking every coordinator for its devices),
   * and while the tick waited the other leases went unrenewed and expired, and the next federation's
   * takeover waited behind it.
   */
  private readonly changes = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;

  constructor(private readonly deps: OwnershipDeps) {}

  /** The fence of a federation this coordinator owns; null when it does not. */
  fence(federationId: string): LeaseFence | null {
    const epoch = this.held.get(federationId);
    return epoch === undefined ? null : { holder: this.deps.coordinatorId, epoch };
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), LEASE_TICK_MS);
    void this.tick();
  }

  /** One round of renewals and takeovers; never overlaps the previous one. It returns once the leases are renewed and taken: the takeovers and handovers run on (`settled`). */
  tick(): Promise<void> {
    this.ticking ??= this.renewAndTake()
      .catch((err: unknown) => this.deps.logger.error({ err }, 'could not renew or take federation leases; retrying'))
      .finally(() => (this.ticking = null));
    return this.ticking;
  }

  /** Settles once the takeovers and handovers under way have finished. */
  async settled(): Promise<void> {
    await Promise.all(this.changes.values());
  }

  /** Stops, and ends this coordinator's leases now so another takes its federations without waiting for them to expire. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.ticking;
    await this.settled();
    const { leases, coordinatorId } = this.deps;
    await Promise.all([...this.held].map(([federationId, epoch]) => leases.release(federationId, coordinatorId, epoch).catch(() => undefined)));
    this.held.clear();
  }

  /** Called when a fenced write found the lease gone: stop acting as the owner at once (once a takeover under way finished). */
  lost(federationId: string): Promise<void> {
    if (!this.held.delete(federationId)) return Promise.resolve();
    return this.change(federationId, async () => {
      await this.deps.demote(federationId).catch((err: unknown) => this.deps.logger.error({ err, federationId }, 'could not hand a federation over cleanly'));
    });
  }

  private async renewAndTake(): Promise<void> {
    const { leases, coordinatorId, logger } = this.deps;
    for (const [federationId, epoch] of [...this.held]) {
      if (await leases.renew(federationId, coordinatorId, epoch, LEASE_TTL_MS)) continue;
      logger.warn({ federationId, epoch }, 'lost the lease of a federation: another coordinator runs it now');
      void this.lost(federationId);
    }
    const current = new Map((await leases.list()).map((l) => [l.federationId, l]));
    const now = Date.now();
    for (const federationId of this.deps.federations()) {
      if (this.held.has(federationId)) continue;
      const previous = current.get(federationId) ?? null;
      // Judged here by this clock only to skip a query; acquire decides by the database's clock.
      if (previous && previous.holder !== coordinatorId && previous.expiresAt.getTime() > now) continue;
      const lease = await leases.acquire(federationId, coordinatorId, LEASE_TTL_MS);
      if (!lease) continue;
      this.held.set(federationId, lease.epoch);
      void this.change(federationId, () => this.promote(federationId, lease.epoch, previous));
    }
  }

  private async promote(federationId: string, epoch: number, previous: FederationLease | null): Promise<void> {
    const { leases, coordinatorId, logger } = this.deps;
    try {
      await this.deps.promote(federationId, { holder: coordinatorId, epoch }, previous);
    } catch (err) {
      logger.error({ err, federationId }, 'could not take over a federation; leaving it to another coordinator');
      if (this.held.get(federationId) !== epoch) return;
      this.held.delete(federationId);
      await leases.release(federationId, coordinatorId, epoch).catch(() => undefined);
    }
  }

  /** Runs `step` (which never rejects) after the federation's earlier takeovers and handovers. */
  private change(federationId: string, step: () => Promise<void>): Promise<void> {
    const next = (this.changes.get(federationId) ?? Promise.resolve()).then(step).finally(() => {
      if (this.changes.get(federationId) === next) this.changes.delete(federationId);
    });
    this.changes.set(federationId, next);
    return next;
  }
}
