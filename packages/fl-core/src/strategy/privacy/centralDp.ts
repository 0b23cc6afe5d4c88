import { addWeighted, clipToNorm, requireLength } from '../../aggregation/vectorMath.ts';
import { gaussian } from '../../data/random.ts';
import type { PartialAggregate } from '../../aggregation/fedAvgAccumulator.ts';
import type { SplittableAggregation, Strategy } from '../strategy.ts';
import type { PrivacyConfig } from './privacyConfig.ts';

/**
 * DP-FedAvg's aggregate: every delta clipped to `clipNorm` (whatever the device did), summed with
 * equal weight (an example count would raise one device's sensitivity), Gaussian noise of std
 * noiseMultiplier x clipNorm added to the sum, divided by the number of updates.
 */
export class NoisedClippedMean implements SplittableAggregation {
  private readonly sum: Float64Array;
  private count = 0;

  constructor(
    size: number,
    private readonly privacy: Pick<PrivacyConfig, 'clipNorm' | 'noiseMultiplier'>,
    private readonly random: () => number,
  ) {
    this.sum = new Float64Array(size);
  }

  get updates(): number {
    return this.count;
  }

  add(delta: Float32Array, _examples: number): void {
    requireLength(delta, this.sum.length);
    addWeighted(this.sum, clipToNorm(delta, this.privacy.clipNorm), 1);
    this.count++;
  }

  /** The clipped sum and the number of updates (each weighs 1): the noise is added once, at the end, by whoever merged every part. */
  partial(): PartialAggregate {
    return { weightedSum: this.sum.slice(), totalWeight: this.count, updates: this.count };
  }

  merge(partial: PartialAggregate): void {
    requireLength(partial.weightedSum, this.sum.length, 'partial aggregate');
    for (let i = 0; i < this.sum.length; i++) this.sum[i]! += partial.weightedSum[i]!;
    this.count += partial.updates;
  }

  result(): Float32Array {
    if (this.count === 0) throw new RangeError('no update was added');
    const std = this.privacy.noiseMultiplier * this.privacy.clipNorm;
    const out = new Float32Array(this.sum.length);
    for (let i = 0; i < out.length; i++) out[i] = (this.sum[i]! + std * gaussian(this.random)) / this.count;
    return out;
  }
}

/** The strategy with central DP: devices are told to clip, the coordinator clips again and adds the noise. */
export function withCentralDp(inner: Strategy, size: number, privacy: PrivacyConfig, random: () => number): Strategy {
  return {
    name: inner.name,
    instructions: () => ({ ...inner.instructions(), clipNorm: privacy.clipNorm }),
    beginRound: () => new NoisedClippedMean(size, privacy, random),
    step: (global, aggregated) => inner.step(global, aggregated),
    ...(inner.serverState ? { serverState: inner.serverState } : {}),
  };
}
