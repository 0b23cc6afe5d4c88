import type { DownlinkCodecName } from '../protocol/device.ts';
import { applyDelta, deltaBetween } from '../aggregation/vectorMath.ts';
import { CodecError } from './codecError.ts';
import { floatsToHalves, halvesToFloats } from './float16.ts';
import { decodeWeights, encodeWeights, type WeightsManifest } from './weightsCodec.ts';

/**
 * The global model as devices hold it: on the grid of the downlink codec (float16 values when the
 * federation sends float16), so the full model in that codec carries it exactly.
 */
export function onDownlinkGrid(values: Float32Array, precision: DownlinkCodecName): Float32Array {
  if (precision === 'float32') return values;
  const halves = new Uint16Array(values.length);
  floatsToHalves(values, halves);
  const out = new Float32Array(values.length);
  halvesToFloats(halves, out);
  return out;
}

/**
 * The next held model from the one a device holds and the coordinator's delta payload. The
 * coordinator computes the same with this function, so both hold exactly the same values: the delta's
 * quantisation error never accumulates across rounds (each delta is taken against what is held).
 */
export function applyModelDelta(held: Float32Array, payload: Uint8Array, manifest: WeightsManifest, precision: DownlinkCodecName): Float32Array {
  const delta = decodeWeights(payload, manifest);
  if (delta.kind !== 'delta') throw new CodecError('a model delta payload holds full weights');
  return onDownlinkGrid(applyDelta(held, delta.values), precision);
}

/** The delta from a held model to the new global one: int8 (about 1 byte per value), rounded to nearest. */
export function encodeModelDelta(manifest: WeightsManifest, held: Float32Array, global: Float32Array): Uint8Array {
  return encodeWeights(manifest, deltaBetween(held, global), 'delta', { name: 'int8' });
}
