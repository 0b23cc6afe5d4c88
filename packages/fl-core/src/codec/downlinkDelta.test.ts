import { describe, expect, it } from 'vitest';
import { applyModelDelta, encodeModelDelta } from './downlinkDelta.ts';
import { CodecError, encodeWeights, type WeightsManifest } from './weightsCodec.ts';

const manifest: WeightsManifest = [{ name: 'w', shape: [4], dtype: 'float32' }];

describe('downlink delta', () => {
  it('applies a delta to the held model', () => {
    const held = Float32Array.from([1, 2, 3, 4]);
    const next = applyModelDelta(held, encodeModelDelta(manifest, held, Float32Array.from([1, 2, 3, 5])), manifest, 'float32');
    expect(next[3]).toBeCloseTo(5, 1);
  });

  it('refuses full weights sent as a delta with a CodecError', () => {
    const full = encodeWeights(manifest, new Float32Array(4), 'weights');
    expect(() => applyModelDelta(new Float32Array(4), full, manifest, 'float32')).toThrow(CodecError);
  });
});
