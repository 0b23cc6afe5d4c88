import { applyDelta, deltaBetween, firstNonFinite, requireLength } from '../aggregation/vectorMath.ts';
import { CodecError } from './codecError.ts';
import type { WeightsCodec } from './codecSpec.ts';
import { decodeWeights, encodeWeights, type EncodeOptions, type WeightsManifest } from './weightsCodec.ts';

/**
 * Error feedback (Seide et al. 2014; Stich et al. 2018) for a lossy uplink codec: what a round's
 * payload did not carry is kept on the device and added to the next round's delta, so nothing is
 * lost, only delayed. After every encode, sent + residual = every delta given so far (to float
 * rounding). One per device and federation; `residual` is what a tab would persist.
 */
export class ErrorFeedback {
  private readonly kept: Float32Array;

  constructor(
    readonly size: number,
    residual?: Float32Array,
  ) {
    if (residual) requireLength(residual, size, 'residual');
    this.kept = residual ? Float32Array.from(residual) : new Float32Array(size);
  }

  /** What has not been sent yet (a view: copy it before keeping it past the next encode). */
  get residual(): Float32Array {
    return this.kept;
  }

  /**
   * Encodes delta + residual with `codec` and keeps what the payload does not carry. A residual that
   * turns non-finite (a diverged delta) is dropped rather than added to every later round.
   */
  encode(manifest: WeightsManifest, delta: Float32Array, codec: WeightsCodec, options: EncodeOptions = {}): Uint8Array {
    if (delta.length !== this.size) throw new CodecError(`delta has ${delta.length} values, the residual ${this.size}`);
    const compensated = applyDelta(delta, this.kept);
    const payload = encodeWeights(manifest, compensated, 'delta', codec, options);
    // What the coordinator will read, exactly: decoding is the definition of "sent".
    const rest = deltaBetween(decodeWeights(payload, manifest).values, compensated);
    if (firstNonFinite(rest) === -1) this.kept.set(rest);
    else this.kept.fill(0);
    return payload;
  }

  reset(): void {
    this.kept.fill(0);
  }
}
