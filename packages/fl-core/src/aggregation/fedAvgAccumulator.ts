import { addWeighted, meanOfSum, requireLength } from './vectorMath.ts';

/**
 * What one accumulator folded so far: enough to go on folding elsewhere or to merge with others.
 * Several coordinators each fold the updates they receive and the federation's owner merges their
 * partials, weighted by examples like the updates themselves, so the mean equals one accumulator's.
 */
export interface PartialAggregate {
  weightedSum: Float64Array;
  totalWeight: number;
  updates: number;
}

/**
 * Streaming weighted FedAvg: each delta is folded into one Float64 accumulator as it arrives,
 * so memory is O(model) whatever the number of devices.
 */
export class FedAvgAccumulator {
  private readonly sum: Float64Array;
  private weight = 0;
  private count = 0;

  constructor(readonly size: number) {
    this.sum = new Float64Array(size);
  }

  get totalWeight(): number {
    return this.weight;
  }

  get updates(): number {
    return this.count;
  }

  add(delta: Float32Array, weight: number): void {
    requireLength(delta, this.size);
    if (!(weight > 0) || !Number.isFinite(weight)) throw new RangeError(`weight must be positive and finite, got ${weight}`);
    addWeighted(this.sum, delta, weight);
    this.weight += weight;
    this.count++;
  }

  /** A copy of what was folded so far. */
  partial(): PartialAggregate {
    return { weightedSum: this.sum.slice(), totalWeight: this.weight, updates: this.count };
  }

  /** Folds in what another accumulator of the same size folded. */
  merge(partial: PartialAggregate): void {
    requireLength(partial.weightedSum, this.size, 'partial aggregate');
    if (!(partial.totalWeight >= 0) || !Number.isFinite(partial.totalWeight)) {
      throw new RangeError(`a partial's total weight must be finite and not negative, got ${partial.totalWeight}`);
    }
    for (let i = 0; i < this.size; i++) this.sum[i]! += partial.weightedSum[i]!;
    this.weight += partial.totalWeight;
    this.count += partial.updates;
  }

  /** The weighted mean delta; throws when nothing was added. */
  mean(): Float32Array {
    if (this.count === 0) throw new RangeError('no update was added');
    return meanOfSum(this.sum, this.weight);
  }
}
