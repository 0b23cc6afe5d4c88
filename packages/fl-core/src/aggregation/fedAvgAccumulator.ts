import { addWeighted, meanOfSum, requireLength } from './vectorMath.ts';

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

  /** The weighted mean delta; throws when nothing was added. */
  mean(): Float32Array {
    if (this.count === 0) throw new RangeError('no update was added');
    return meanOfSum(this.sum, this.weight);
  }
}
