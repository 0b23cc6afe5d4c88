import { CodecError, decodeWeights, firstNonFinite, manifestSize, type WeightsManifest } from '@flock/fl-core';

import type { DeviceUpdate } from './engineEffects.ts';

export type PayloadCheck = { ok: true; delta: Float32Array } | { ok: false; reason: string };

/** Room for the manifest and header on top of twice the raw float32 model. */
const PAYLOAD_SLACK_BYTES = 64 * 1024;

export function maxPayloadBytes(manifest: WeightsManifest): number {
  return 2 * manifestSize(manifest) * 4 + PAYLOAD_SLACK_BYTES;
}

/** Every check an update passes before it may be folded in, in either aggregation mode. */
export function checkUpdate(u: DeviceUpdate, manifest: WeightsManifest): PayloadCheck {
  if (!Number.isInteger(u.numExamples) || u.numExamples < 1 || u.numExamples > u.maxExamples) {
    return { ok: false, reason: `numExamples must be an integer from 1 to ${u.maxExamples} (the device's examples), got ${u.numExamples}` };
  }
  if (!Number.isFinite(u.metrics.loss)) return { ok: false, reason: `reported training loss is ${u.metrics.loss}` };
  return checkDeltaPayload(u.payload, manifest);
}

/** Decodes a device's update and refuses anything that must not reach the average. */
export function checkDeltaPayload(payload: Uint8Array, manifest: WeightsManifest): PayloadCheck {
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
  const bad = firstNonFinite(decoded.values);
  if (bad >= 0) {
    return { ok: false, reason: `payload value #${bad} (${tensorAt(manifest, bad)}) is ${decoded.values[bad]}; the update would poison the model` };
  }
  return { ok: true, delta: decoded.values };
}

function tensorAt(manifest: WeightsManifest, index: number): string {
  let offset = 0;
  for (const t of manifest) {
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (index < offset + size) return t.name;
    offset += size;
  }
  return 'unknown tensor';
}
