import {
  CodecError,
  decodeWeights,
  firstNonFinite,
  l2Norm,
  manifestSize,
  tensorSize,
  topkCount,
  uplinkCodec,
  type RoundCodec,
  type RoundInstructions,
  type WeightsManifest,
} from '@flock/fl-core';

import type { DeviceUpdate } from './engineEffects.ts';

export type PayloadCheck = { ok: true; delta: Float32Array } | { ok: false; reason: string };

/**
 * How far over the round's clip norm an update may be and still count: lossy codecs (int8's
 * stochastic rounding) lengthen a clipped delta a little; a device that ignored the clip is far over.
 */
const NORM_TOLERANCE = 1.05;

/** Room for the manifest and header on top of twice the raw float32 model. */
const PAYLOAD_SLACK_BYTES = 64 * 1024;

/** What a federation that never chose a codec takes: what devices send when round:start names none. */
const FLOAT32_UPLINK: RoundCodec = { uplink: 'float32' };

export function maxPayloadBytes(manifest: WeightsManifest): number {
  return 2 * manifestSize(manifest) * 4 + PAYLOAD_SLACK_BYTES;
}

/**
 * Every check an update passes before it may be folded in, in either aggregation mode. `codec` is
 * the federation's uplink codec (`roundCodecOf(config)`); an update in any other is refused.
 */
export function checkUpdate(
  u: DeviceUpdate,
  manifest: WeightsManifest,
  codec: RoundCodec = FLOAT32_UPLINK,
  instructions: RoundInstructions = {},
): PayloadCheck {
  if (!Number.isInteger(u.numExamples) || u.numExamples < 1 || u.numExamples > u.maxExamples) {
    return { ok: false, reason: `numExamples must be an integer from 1 to ${u.maxExamples} (the device's examples), got ${u.numExamples}` };
  }
  if (!Number.isFinite(u.metrics.loss)) return { ok: false, reason: `reported training loss is ${u.metrics.loss}` };
  const payload = checkDeltaPayload(u.payload, manifest, codec);
  if (!payload.ok) return payload;
  return checkNormBound(payload.delta, instructions) ?? payload;
}

/**
 * The optional norm bound: devices told to clip (norm-bounded averaging, central DP) must send a
 * delta within it. Locally noised deltas are long by design and are not checked.
 */
function checkNormBound(delta: Float32Array, instructions: RoundInstructions): PayloadCheck | null {
  const bound = instructions.clipNorm;
  if (bound === undefined || instructions.noiseStd !== undefined) return null;
  const norm = l2Norm(delta);
  if (norm <= bound * NORM_TOLERANCE) return null;
  return { ok: false, reason: `update has L2 norm ${norm.toPrecision(4)}; this round clips updates to ${bound}, so it was not clipped as instructed` };
}

/** Decodes a device's update (any codec this build reads) and refuses anything that must not reach the average. */
export function checkDeltaPayload(payload: Uint8Array, manifest: WeightsManifest, codec: RoundCodec = FLOAT32_UPLINK): PayloadCheck {
  const limit = maxPayloadBytes(manifest);
  if (payload.byteLength > limit) {
    return { ok: false, reason: `payload of ${payload.byteLength} bytes exceeds the ${limit}-byte limit for this model` };
  }
  let decoded;
  try {
    decoded = decodeWeights(payload, manifest);
  } catch (err) {
    if (err instanceof CodecError) return { ok: false, reason: `payload refused: ${err.message}` };
    throw err;
  }
  if (decoded.kind !== 'delta') return { ok: false, reason: 'payload holds full weights; send a delta (kind "delta")' };
  if (decoded.codec !== codec.uplink) {
    return { ok: false, reason: `payload is encoded as ${decoded.codec}; this federation takes ${codec.uplink} updates` };
  }
  const expected = uplinkCodec(codec);
  if (expected.name === 'topk') {
    const allowed = topkCount(decoded.values.length, expected.fraction);
    if (decoded.carried > allowed) {
      return { ok: false, reason: `top-k payload carries ${decoded.carried} values; this federation takes at most ${allowed} (${expected.fraction * 100}%)` };
    }
  }
  const bad = firstNonFinite(decoded.values);
  if (bad >= 0) {
    return { ok: false, reason: `payload value #${bad} (${tensorAt(manifest, bad)}) is ${decoded.values[bad]}; the update would poison the model` };
  }
  return { ok: true, delta: decoded.values };
}

function tensorAt(manifest: WeightsManifest, index: number): string {
  let offset = 0;
  for (const t of manifest) {
    const size = tensorSize(t.shape);
    if (index < offset + size) return t.name;
    offset += size;
  }
  return 'unknown tensor';
}
