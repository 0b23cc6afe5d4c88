import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../storage/memory/memoryStore.ts';
import type { LeaseRepository } from '../storage/store.ts';
import { FederationOwnership } from './federationOwnership.ts';

/** A coordinator's ownership over the federations `ids`, on a store shared with others, recording what it was told. */
function coordinator(store: MemoryStore, coordinatorId: string, ids: string[]) {
  const said: string[] = [];
  const ownership = new FederationOwnership({
    leases: store.leases,
    coordinatorId,
    federations: () => ids,
    promote: async (id, fence, previous) => void said.push(`runs ${id} (epoch ${fence.epoch}, after ${previous?.holder ?? 'nobody'})`),
    demote: async (id) => void said.push(`hands over ${id}`),
    logger: pino({ level: 'silent' }),
  });
  return { ownership, said };
}

describe('federation ownership under leases', () => {
  it('gives each federation to one coordinator, keeps it while renewed, and passes it on when its owner stops', async () => {
    const store = new MemoryStore();
    const a = coordinator(store, 'a', ['f1', 'f2']);
    const b = coordinator(store, 'b', ['f1', 'f2']);
    await a.ownership.tick();
    await b.ownership.tick();
    await a.ownership.tick();
    await a.ownership.settled();
    expect(a.said).toEqual(['runs f1 (epoch 1, after nobody)', 'runs f2 (epoch 1, after nobody)']);
    expect(b.said).toEqual([]);
    expect(a.ownership.fence('f1')).toEqual({ holder: 'a', epoch: 1 });
    expect(b.ownership.fence('f1')).toBeNull();
    await a.ownership.stop();
    await b.ownership.tick();
    await b.ownership.settled();
    expect(b.said).toEqual(['runs f1 (epoch 2, after a)', 'runs f2 (epoch 2, after a)']);
    await b.ownership.stop();
  });

  it('hands a federation over when a fenced write found its lease gone, and when renewing fails', async () => {
    const store = new MemoryStore();
    const a = coordinator(store, 'a', ['f1', 'f2']);
    await a.ownership.tick();
    await a.ownership.settled();
    await a.ownership.lost('f1');
    expect(a.said.at(-1)).toBe('hands over f1');
    expect(a.ownership.fence('f1')).toBeNull();
    // Another coordinator took f2 meanwhile (its epoch grew): renewing finds out.
    await store.leases.release('f2', 'a', 1);
    await store.leases.acquire('f2', 'b', 60_000);
    await a.ownership.tick();
    await a.ownership.settled();
    // f1's lease was still free to take: it runs it again, under a new epoch; f2 it hands over.
    expect(a.said.slice(-2)).toEqual(['hands over f2', 'runs f1 (epoch 2, after a)']);
    expect(a.ownership.fence('f2')).toBeNull();
    await a.ownership.stop();
  });

  it('renews the leases it holds while a takeover is still running, and hands that federation over only once it finished', async () => {
    const store = new MemoryStore();
    const renewed: string[] = [];
    const leases: LeaseRepository = {
      acquire: (...args) => store.leases.acquire(...args),
      renew: (id, ...rest) => (renewed.push(id), store.leases.renew(id, ...rest)),
      release: (...args) => store.leases.release(...args),
      list: () => store.leases.list(),
    };
    const ids = ['f1'];
    const said: string[] = [];
    let finishTakingF2: (() => void) | null = null;
    const ownership = new FederationOwnership({
      leases,
      coordinatorId: 'a',
      federations: () => ids,
      promote: async (id, fence) => {
        // The first takeover of f2 hangs (a slow load) until the test lets it finish.
        if (id === 'f2' && fence.epoch === 1) await new Promise<void>((resolve) => (finishTakingF2 = resolve));
        said.push(`runs ${id} (epoch ${fence.epoch})`);
      },
      demote: async (id) => void said.push(`hands over ${id}`),
      logger: pino({ level: 'silent' }),
    });
    await ownership.tick();
    ids.push('f2');
    await ownership.tick();
    await ownership.tick();
    expect(renewed).toEqual(['f1', 'f1', 'f2']);
    expect(ownership.fence('f2')).toEqual({ holder: 'a', epoch: 1 });
    // Meanwhile another coordinator took f2 and let it go again: renewing finds the lease lost, and f2 free to take again.
    await store.leases.release('f2', 'a', 1);
    await store.leases.acquire('f2', 'b', 60_000);
    await store.leases.release('f2', 'b', 2);
    await ownership.tick();
    expect(ownership.fence('f2')).toEqual({ holder: 'a', epoch: 3 });
    expect(said).toEqual(['runs f1 (epoch 1)']);
    finishTakingF2!();
    await ownership.settled();
    // In the order the leases changed: the second takeover is not undone by the handover of the first.
    expect(said).toEqual(['runs f1 (epoch 1)', 'runs f2 (epoch 1)', 'hands over f2', 'runs f2 (epoch 3)']);
    await ownership.stop();
  });
});
