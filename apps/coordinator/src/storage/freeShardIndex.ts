/** The lowest shard index >= 0 below `shardCount` that is not `taken`; null when every shard is taken. */
export function freeShardIndex(taken: ReadonlySet<number>, shardCount: number): number | null {
  let index = 0;
  while (taken.has(index)) index++;
  return index < shardCount ? index : null;
}

/**
 * The index a new device with its own data takes: one below the lowest negative index its federation's
 * devices hold (`lowestHeld`: the lowest index held, 0 when none), -1 when none is negative. Devices
 * are never deleted, so the negative indices held are -1 ... -n and this is the first free of -1, -2, ...
 * (a gap left by `upsert`, which stores a device at the index it is given, stays free). Taken from the
 * minimum alone, so the database reads one entry of its (federation_id, shard_index) index, not every device.
 */
export const ownDataIndex = (lowestHeld: number): number => Math.min(lowestHeld, 0) - 1;
