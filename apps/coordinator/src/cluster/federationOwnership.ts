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
   * Takeovers under way. A tick does not wait for them: one took 10 s (loading the federation, asking
   * every coordinator for its devices), and meanwhile the other leases went unrenewed and expired, and
   * the next federation's takeover waited behind it.
   */
  private readonly promoting = new Map<string, Promise<void>>();
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

  /** One round of renewals and takeovers; never overlaps the previous one. It returns once the leases are renewed and taken; the takeovers run on. */
  tick(): Promise<void> {
    this.ticking ??= this.renewAndTake()
      .catch((err: unknown) => this.deps.logger.error({ err }, 'could not renew or take federation leases; retrying'))
      .finally(() => (this.ticking = null));
    return this.ticking;
  }

  /** Stops, and ends this coordinator's leases now so another takes its federations without waiting for them to expire. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.ticking;
    await Promise.all(this.promoting.values());
    const { leases, coordinatorId } = this.deps;
    await Promise.all([...this.held].map(([federationId, epoch]) => leases.release(federationId, coordinatorId, epoch).catch(() => undefined)));
    this.held.clear();
  }

  /** Called when a fenced write found the lease gone: stop acting as the owner at once. */
  async lost(federationId: string): Promise<void> {
    if (!this.held.delete(federationId)) return;
    // Demoted only once promoted: a takeover still running would otherwise finish after the demotion and run the rounds unfenced.
    await this.promoting.get(federationId);
    await this.deps.demote(federationId);
  }

  private async renewAndTake(): Promise<void> {
    const { leases, coordinatorId, logger } = this.deps;
    for (const [federationId, epoch] of [...this.held]) {
      if (await leases.renew(federationId, coordinatorId, epoch, LEASE_TTL_MS)) continue;
      logger.warn({ federationId, epoch }, 'lost the lease of a federation: another coordinator runs it now');
      await this.lost(federationId);
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
      this.promote(federationId, lease.epoch, previous);
    }
  }

  private promote(federationId: string, epoch: number, previous: FederationLease | null): void {
    const { leases, coordinatorId, logger } = this.deps;
    const promoted = this.deps
      .promote(federationId, { holder: coordinatorId, epoch }, previous)
      .catch(async (err: unknown) => {
        logger.error({ err, federationId }, 'could not take over a federation; leaving it to another coordinator');
        if (this.held.get(federationId) !== epoch) return;
        this.held.delete(federationId);
        await leases.release(federationId, coordinatorId, epoch).catch(() => undefined);
      })
      .finally(() => {
        if (this.promoting.get(federationId) === promoted) this.promoting.delete(federationId);
      });
    this.promoting.set(federationId, promoted);
  }
}
