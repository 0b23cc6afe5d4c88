import { createRng, seedFromText, shuffleInPlace } from '../data/random.ts';

/**
 * SecAgg+'s graph: the devices, sorted then shuffled by the round seed the coordinator publishes, sit on a ring; each is
 * joined to (groupSize-1)/2 devices on each side, or to everyone when the group covers the whole round. Every party that
 * knows the ids and the seed computes the same graph. The seed only places devices: the graph is public.
 */
export function neighbourGraph(deviceIds: readonly string[], groupSize: number, roundSeed: string): Map<string, string[]> {
  const ring = [...new Set(deviceIds)].sort();
  shuffleInPlace(ring, createRng(seedFromText(roundSeed)));
  const n = ring.length;
  const graph = new Map<string, string[]>();
  const side = groupSize >= n ? n : (groupSize - 1) >> 1;
  ring.forEach((id, i) => {
    const peers = new Set<string>();
    for (let d = 1; d <= side; d++) {
      peers.add(ring[(i + d) % n]!);
      peers.add(ring[(i - d + n * side) % n]!);
    }
    peers.delete(id);
    graph.set(id, [...peers].sort());
  });
  return graph;
}

/** Whether the members are connected through edges among themselves: else the coordinator would learn each part's sum. */
export function isConnected(members: ReadonlySet<string>, graph: ReadonlyMap<string, readonly string[]>): boolean {
  const [first] = members;
  if (first === undefined) return true;
  const seen = new Set([first]);
  const queue = [first];
  for (let id = queue.pop(); id !== undefined; id = queue.pop())
    for (const peer of graph.get(id) ?? [])
      if (members.has(peer) && !seen.has(peer)) {
        seen.add(peer);
        queue.push(peer);
      }
  return seen.size === members.size;
}
