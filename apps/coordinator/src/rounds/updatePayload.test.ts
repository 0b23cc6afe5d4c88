import { describe, expect, it } from 'vitest';
import { createRng, encodeWeights, gaussian, type WeightsManifest } from '@flock/fl-core';
import { checkDeltaPayload } from './updatePayload.ts';

const manifest: WeightsManifest = [
  { name: 'fc/kernel', shape: [50, 20], dtype: 'float32' },
  { name: 'fc/bias', shape: [20], dtype: 'float32' },
];
const rng = createRng(4);
const delta = Float32Array.from({ length: 1020 }, () => gaussian(rng) * 0.01);

describe('update payload check', () => {
  it('decodes the codec the federation takes', () => {
    const int8 = checkDeltaPayload(encodeWeights(manifest, delta, 'delta', { name: 'int8' }), manifest, { uplink: 'int8' });
    expect(int8.ok).toBe(true);
    const topk = checkDeltaPayload(encodeWeights(manifest, delta, 'delta', { name: 'topk', fraction: 0.01 }), manifest, {
      uplink: 'topk',
      topkFraction: 0.01,
    });
    expect(topk.ok && topk.delta.filter((v) => v !== 0).length).toBe(11);
  });

  it('refuses an update in another codec than the federation takes, naming both', () => {
    const int8 = encodeWeights(manifest, delta, 'delta', { name: 'int8' });
    expect(checkDeltaPayload(int8, manifest)).toEqual({
      ok: false,
      reason: 'payload is encoded as int8; this federation takes float32 updates',
    });
    const float32 = encodeWeights(manifest, delta, 'delta');
    expect(checkDeltaPayload(float32, manifest, { uplink: 'topk' })).toMatchObject({ ok: false, reason: /float32; this federation takes topk/ });
  });

  it('refuses a top-k update that carries more values than the federation allows', () => {
    const wide = encodeWeights(manifest, delta, 'delta', { name: 'topk', fraction: 0.1 });
    expect(checkDeltaPayload(wide, manifest, { uplink: 'topk', topkFraction: 0.01 })).toMatchObject({
      ok: false,
      reason: /carries 102 values; this federation takes at most 11/,
    });
  });

  it('refuses a truncated compact payload and a non-finite int8 chunk with a reason', () => {
    const int8 = encodeWeights(manifest, delta, 'delta', { name: 'int8' });
    expect(checkDeltaPayload(int8.subarray(0, int8.length - 5), manifest, { uplink: 'int8' })).toMatchObject({
      ok: false,
      reason: /^payload refused: int8 data holds/,
    });
    const poisoned = delta.slice();
    poisoned[1010] = Number.NaN;
    expect(checkDeltaPayload(encodeWeights(manifest, poisoned, 'delta', { name: 'int8' }), manifest, { uplink: 'int8' })).toMatchObject({
      ok: false,
      reason: /payload value #768 \(fc\/kernel\) is NaN/,
    });
  });
});
