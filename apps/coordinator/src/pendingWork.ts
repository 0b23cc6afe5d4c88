/**
 * Storage writes and round aggregation run in the background of socket handlers; close() waits
 * for them so PGlite is never closed under a half-written transaction.
 */
export class PendingWork {
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly onError: (err: unknown) => void) {}

  track(work: Promise<unknown>): void {
    const p = work.catch(this.onError).finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }
}
