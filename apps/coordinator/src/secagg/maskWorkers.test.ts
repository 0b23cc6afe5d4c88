import { randomBytes } from 'node:crypto';
import { sumMasks, type SeededMask } from '@flock/fl-core/secagg';
import { afterEach, describe, expect, it } from 'vitest';
import { MaskWorkers } from './maskWorkers.ts';

const LENGTH = 40_003; // not a whole number of 64 KiB keystream chunks
const masks: SeededMask[] = Array.from({ length: 7 }, (_, i) => ({ seed: new Uint8Array(randomBytes(32)), sign: i % 3 === 0 ? -1 : 1 }));

describe('MaskWorkers', () => {
  let pool: MaskWorkers | null = null;
  afterEach(async () => pool?.close());

  it('sums the masks over threads to the same words as one thread', async () => {
    pool = new MaskWorkers({ threads: 2, minWords: 0 });
    const reasons: string[] = [];
    const summer = pool.summer((reason) => reasons.push(reason));
    const [first, again] = await Promise.all([summer(masks, LENGTH), summer(masks.slice(1), LENGTH)]);
    expect(reasons).toEqual([]);
    expect(first).toEqual(await sumMasks(masks, LENGTH));
    expect(again).toEqual(await sumMasks(masks.slice(1), LENGTH));
  });

  it('sums on the calling thread, with the reason, when the threads cannot start', async () => {
    pool = new MaskWorkers({ threads: 2, minWords: 0, script: new URL('./noSuchMaskWorker.mjs', import.meta.url) });
    const reasons: string[] = [];
    expect(await pool.summer((reason) => reasons.push(reason))(masks, LENGTH)).toEqual(await sumMasks(masks, LENGTH));
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatch(/main thread because its mask threads failed .*the round goes on/);
  });

  it('keeps small sums, and every sum of a one-thread pool, on the calling thread', async () => {
    const missing = new URL('./noSuchMaskWorker.mjs', import.meta.url);
    const reasons: string[] = [];
    pool = new MaskWorkers({ threads: 2, script: missing });
    expect(await pool.summer((reason) => reasons.push(reason))(masks, 10)).toEqual(await sumMasks(masks, 10));
    const single = new MaskWorkers({ threads: 1, minWords: 0, script: missing });
    expect(await single.summer((reason) => reasons.push(reason))(masks, LENGTH)).toEqual(await sumMasks(masks, LENGTH));
    expect(reasons).toEqual([]);
  });
});
