import { describe, expect, it } from 'vitest';
import type { FoldOutcome } from '../storage/store.ts';
import { FoldQueue, MAX_GROUP_BYTES, type FoldItem } from './foldQueue.ts';

const item = (deviceId: string, values = 4): FoldItem => ({
  update: { deviceId, coordinatorId: 'c', examples: 1, loss: 0, accuracy: 0, bytesUp: 1, bytesDown: 1, abandonedBytesUp: 0, abandonedBytesDown: 0 },
  partial: { weightedSum: new Float64Array(values), totalWeight: 1, updates: 1 },
});

describe('FoldQueue (group commit of one coordinator’s folds)', () => {
  it('folds what arrives together in one transaction, and what arrives meanwhile in the next, each caller learning its outcome', async () => {
    const calls: string[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const queue = new FoldQueue(async (_attempt, items) => {
      calls.push(items.map((i) => i.update.deviceId));
      if (calls.length === 1) await gate;
      return items.map((i): FoldOutcome => (i.update.deviceId === 'b' ? 'duplicate' : 'counted'));
    });
    const first = [queue.add('1', item('a')), queue.add('1', item('b'))];
    await new Promise((resolve) => setImmediate(resolve));
    const later = [queue.add('1', item('c')), queue.add('1', item('d'))];
    release();
    expect(await Promise.all([...first, ...later])).toEqual(['counted', 'duplicate', 'counted', 'counted']);
    expect(calls).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
  });

  it('keeps attempts apart, passes a stale attempt to its callers, and fails only the group whose transaction failed', async () => {
    const queue = new FoldQueue(async (attempt, items) => {
      if (attempt === 'old') return 'stale';
      if (attempt === 'broken') throw new Error('database gone');
      return items.map((): FoldOutcome => 'counted');
    });
    const outcomes = [queue.add('old', item('a')), queue.add('new', item('b')), queue.add('broken', item('c')).catch((err: Error) => err.message)];
    expect(await Promise.all(outcomes)).toEqual(['stale', 'counted', 'database gone']);
  });

  it('bounds the bytes of partials one transaction holds', async () => {
    const sizes: number[] = [];
    const queue = new FoldQueue(async (_attempt, items) => {
      sizes.push(items.length);
      return items.map((): FoldOutcome => 'counted');
    });
    const big = MAX_GROUP_BYTES / 8 / 2;
    await Promise.all([queue.add('1', item('a', big)), queue.add('1', item('b', big)), queue.add('1', item('c', big))]);
    expect(sizes).toEqual([2, 1]);
  });
});
