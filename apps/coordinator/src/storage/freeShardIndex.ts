/**
 * The shard index a new device takes, given the indices its federation's devices hold: the lowest free
 * index >= 0 below `shardCount`, null when every shard is taken; a device with its own data takes no
 * shard and gets the first free of -1, -2, ...
 */
export function freeShardIndex(taken: ReadonlySet<number>, ownData: boolean, shardCount: number): number | null {
  const step = ownData ? -1 : 1;
  let index = ownData ? -1 : 0;
  while (taken.has(index)) index += step;
  return index < shardCount ? index : null;
}
