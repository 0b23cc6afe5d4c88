import { createRng, gamma, shuffleInPlace } from './random.ts';

/** Each partitioner returns, per device, the indices of its examples; devices never share one. */
export type Partition = number[][];

/** IID: a seeded shuffle cut into `numDevices` parts of `perDevice` examples (the rest unused). */
export function partitionIid(numExamples: number, numDevices: number, perDevice: number, seed: number): Partition {
  if (numDevices * perDevice > numExamples) {
    throw new RangeError(`${numDevices} devices x ${perDevice} examples exceed the ${numExamples} available`);
  }
  const order = Array.from({ length: numExamples }, (_, i) => i);
  shuffleInPlace(order, createRng(seed));
  return Array.from({ length: numDevices }, (_, d) => order.slice(d * perDevice, (d + 1) * perDevice));
}

/**
 * The FedAvg paper's pathological non-IID split: sort by label, cut into
 * numDevices * shardsPerDevice shards, give each device `shardsPerDevice` random shards.
 */
export function partitionShards(labels: ArrayLike<number>, numDevices: number, shardsPerDevice: number, seed: number): Partition {
  const rng = createRng(seed);
  const byLabel = Array.from({ length: labels.length }, (_, i) => i);
  shuffleInPlace(byLabel, rng); // ties in label order are broken at random, not by file order
  byLabel.sort((a, b) => labels[a]! - labels[b]!);
  const numShards = numDevices * shardsPerDevice;
  const shardSize = Math.floor(labels.length / numShards);
  const shardOrder = Array.from({ length: numShards }, (_, i) => i);
  shuffleInPlace(shardOrder, rng);
  return Array.from({ length: numDevices }, (_, d) =>
    shardOrder
      .slice(d * shardsPerDevice, (d + 1) * shardsPerDevice)
      .flatMap((s) => byLabel.slice(s * shardSize, (s + 1) * shardSize)),
  );
}

/** Label skew: each class is split across devices by proportions drawn from Dirichlet(alpha). */
export function partitionDirichlet(labels: ArrayLike<number>, numDevices: number, alpha: number, seed: number): Partition {
  if (!(alpha > 0)) throw new RangeError(`alpha must be positive, got ${alpha}`);
  const rng = createRng(seed);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const list = byClass.get(labels[i]!) ?? [];
    list.push(i);
    byClass.set(labels[i]!, list);
  }
  const out: Partition = Array.from({ length: numDevices }, () => []);
  for (const cls of [...byClass.keys()].sort((a, b) => a - b)) {
    const indices = byClass.get(cls)!;
    shuffleInPlace(indices, rng);
    const draws = Array.from({ length: numDevices }, () => gamma(alpha, rng));
    const total = draws.reduce((a, b) => a + b, 0);
    let start = 0;
    let cumulative = 0;
    draws.forEach((g, d) => {
      cumulative += g / total;
      const end = d === numDevices - 1 ? indices.length : Math.round(cumulative * indices.length);
      out[d]!.push(...indices.slice(start, end));
      start = end;
    });
  }
  return out;
}
