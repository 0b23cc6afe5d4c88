import { FedAvgAccumulator, type PartialAggregate } from '../aggregation/fedAvgAccumulator.ts';
import { clipToNorm, requireLength } from '../aggregation/vectorMath.ts';
import type { RoundAggregation, SplittableAggregation } from './strategy.ts';

/** The streaming weighted mean (FedAvg's): O(model) memory whatever the number of updates. */
export class WeightedMean implements SplittableAggregation {
  private readonly accumulator: FedAvgAccumulator;

  /** `clipNorm`: each delta is first scaled down to this L2 norm (norm-bounded averaging). */
  constructor(
    size: number,
    private readonly clipNorm?: number,
  ) {
    this.accumulator = new FedAvgAccumulator(size);
  }

  get updates(): number {
    return this.accumulator.updates;
  }

  add(delta: Float32Array, examples: number): void {
    this.accumulator.add(this.clipNorm === undefined ? delta : clipToNorm(delta, this.clipNorm), examples);
  }

  result(): Float32Array {
    return this.accumulator.mean();
  }

  partial(): PartialAggregate {
    return this.accumulator.partial();
  }

  merge(partial: PartialAggregate): void {
    this.accumulator.merge(partial);
  }
}

/**
 * Holds a round's deltas for the aggregators whose math needs them all at once (median, trimmed
 * mean, Krum), at most `capacity` of them: federation validation keeps clientsPerRound within it.
 */
export class HeldUpdates implements RoundAggregation {
  private readonly held: Float32Array[] = [];

  constructor(
    private readonly size: number,
    private readonly capacity: number,
    private readonly combine: (deltas: readonly Float32Array[]) => Float32Array,
  ) {}

  get updates(): number {
    return this.held.length;
  }

  /** Robust aggregators count each device once: the example count is not a weight here. */
  add(delta: Float32Array, _examples: number): void {
    requireLength(delta, this.size);
    if (this.held.length >= this.capacity) {
      throw new RangeError(`this round already holds ${this.capacity} updates, the most its memory bound allows`);
    }
    this.held.push(delta);
  }

  result(): Float32Array {
    if (this.held.length === 0) throw new RangeError('no update was added');
    return this.combine(this.held);
  }
}
