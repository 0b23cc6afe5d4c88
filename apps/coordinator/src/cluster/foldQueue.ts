import type { PartialAggregate } from '@flock/fl-core';
import type { CountedUpdate, FoldOutcome } from '../storage/store.ts';

export interface FoldItem {
  update: CountedUpdate;
  partial: PartialAggregate;
}

type Fold = (attempt: string, items: FoldItem[]) => Promise<FoldOutcome[] | 'stale'>;

interface Waiting {
  attempt: string;
  item: FoldItem;
  settle: (outcome: FoldOutcome | 'stale') => void;
  fail: (err: unknown) => void;
}

/** At most this many bytes of partials wait in one transaction (each is the model's size in Float64). */
export const MAX_GROUP_BYTES = 32 * 1024 * 1024;

/**
 * Group commit for one coordinator's folds into a federation's shared round: while one transaction
 * runs, the updates that arrive wait and then go together in the next, so a thousand devices answering
 * at once cost a handful of transactions (each rewrites the coordinator's partial once) instead of a
 * thousand queued on the partial's row lock. Each caller still learns its own outcome.
 */
export class FoldQueue {
  private waiting: Waiting[] = [];
  private running = false;

  constructor(private readonly fold: Fold) {}

  add(attempt: string, item: FoldItem): Promise<FoldOutcome | 'stale'> {
    return new Promise((settle, fail) => {
      this.waiting.push({ attempt, item, settle, fail });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    // Lets the updates that arrived in the same turn of the event loop join the first group.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.waiting.length > 0) {
      const group = this.nextGroup();
      try {
        const outcomes = await this.fold(
          group[0]!.attempt,
          group.map((w) => w.item),
        );
        group.forEach((w, i) => w.settle(outcomes === 'stale' ? 'stale' : outcomes[i]!));
      } catch (err) {
        for (const w of group) w.fail(err);
      }
    }
    this.running = false;
  }

  /** The oldest waiting folds of one attempt, within MAX_GROUP_BYTES (at least one). */
  private nextGroup(): Waiting[] {
    const attempt = this.waiting[0]!.attempt;
    const group: Waiting[] = [];
    let bytes = 0;
    const rest: Waiting[] = [];
    for (const w of this.waiting) {
      const size = w.item.partial.weightedSum.byteLength;
      if (w.attempt === attempt && (group.length === 0 || bytes + size <= MAX_GROUP_BYTES)) {
        group.push(w);
        bytes += size;
      } else rest.push(w);
    }
    this.waiting = rest;
    return group;
  }
}
