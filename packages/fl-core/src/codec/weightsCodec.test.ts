import { describe, expect, it } from 'vitest';
import { CodecError, decodeWeights, encodeWeights, type WeightsManifest } from './weightsCodec.ts';

const manifest: WeightsManifest = [
  { name: 'fc1/kernel', shape: [3, 2], dtype: 'float32' },
  { name: 'fc1/bias', shape: [2], dtype: 'float32' },
];
const values = Float32Array.from([1, -2, 3.5, 4, 5e-8, -6e7, 0.25, -0.125]);

describe('weights codec', () => {
  it('round-trips values, manifest and kind exactly', () => {
    const decoded = decodeWeights(encodeWeights(manifest, values, 'delta'), manifest);
    expect(decoded.kind).toBe('delta');
    expect(decoded.manifest).toEqual(manifest);
    expect([...decoded.values]).toEqual([...values]);
  });

  it('decodes a payload that starts at an unaligned offset (as Node Buffers may)', () => {
    const bytes = encodeWeights(manifest, values, 'weights');
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    expect([...decodeWeights(shifted.subarray(1)).values]).toEqual([...values]);
  });

  it('refuses a manifest that differs from the expected one, naming the tensor', () => {
    const other: WeightsManifest = [manifest[0]!, { name: 'fc1/bias', shape: [3], dtype: 'float32' }];
    const bytes = encodeWeights(other, new Float32Array(9), 'delta');
    expect(() => decodeWeights(bytes, manifest)).toThrow(/tensor 1 is fc1\/bias float32\[3\], expected fc1\/bias float32\[2\]/);
  });

  it('refuses truncated, padded, foreign and future-version payloads', () => {
    const bytes = encodeWeights(manifest, values, 'delta');
    expect(() => decodeWeights(bytes.subarray(0, bytes.length - 4))).toThrow(CodecError);
    const padded = new Uint8Array(bytes.length + 4);
    padded.set(bytes);
    expect(() => decodeWeights(padded)).toThrow(/data bytes/);
    expect(() => decodeWeights(new TextEncoder().encode('{"weights":[1,2,3]}'))).toThrow(/magic/);
    const future = bytes.slice();
    future[4] = 99;
    expect(() => decodeWeights(future)).toThrow(/version 99/);
    expect(() => decodeWeights(new Uint8Array(3))).toThrow(/shorter than the header/);
  });

  it('refuses a manifest length that points past the payload', () => {
    const bytes = encodeWeights(manifest, values, 'delta');
    new DataView(bytes.buffer).setUint32(8, 0xffffff, true);
    expect(() => decodeWeights(bytes)).toThrow(/manifest length/);
  });

  it('refuses to encode values that do not match the manifest', () => {
    expect(() => encodeWeights(manifest, new Float32Array(3), 'delta')).toThrow(/describes 8/);
  });
});
