import type { FederationLease, LeaseFence, LeaseRepository } from '../store.ts';

/** Leases in this process: one coordinator's view, judged by its own clock. */
export class MemoryLeases implements LeaseRepository {
  private readonly leases = new Map<string, FederationLease>();

  async acquire(federationId: string, holder: string, ttlMs: number): Promise<FederationLease | null> {
    const now = Date.now();
    const held = this.leases.get(federationId);
    if (held && held.expiresAt.getTime() > now && held.holder !== holder) return null;
    const lease = { federationId, holder, epoch: (held?.epoch ?? 0) + 1, expiresAt: new Date(now + ttlMs) };
    this.leases.set(federationId, lease);
    return { ...lease };
  }

  async renew(federationId: string, holder: string, epoch: number, ttlMs: number): Promise<boolean> {
    const held = this.leases.get(federationId);
    if (!held || held.holder !== holder || held.epoch !== epoch) return false;
    held.expiresAt = new Date(Date.now() + ttlMs);
    return true;
  }

  async release(federationId: string, holder: string, epoch: number): Promise<void> {
    const held = this.leases.get(federationId);
    if (held && held.holder === holder && held.epoch === epoch) held.expiresAt = new Date();
  }

  /** Whether `fence` still holds the federation's lease: same holder and epoch, not expired. */
  holds(federationId: string, fence: LeaseFence): boolean {
    const held = this.leases.get(federationId);
    return held !== undefined && held.holder === fence.holder && held.epoch === fence.epoch && held.expiresAt.getTime() > Date.now();
  }

  async list(): Promise<FederationLease[]> {
    return [...this.leases.values()].sort((a, b) => (a.federationId < b.federationId ? -1 : 1)).map((l) => ({ ...l }));
  }
}
