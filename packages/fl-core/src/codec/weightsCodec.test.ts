import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRng, gaussian } from '../data/random.ts';
import type { WeightsCodec } from './codecSpec.ts';
import { CodecError, decodeWeights, encodeWeights, type WeightsManifest } from './weightsCodec.ts';

const manifest: WeightsManifest = [
  { name: 'fc1/kernel', shape: [3, 2], dtype: 'float32' },
  { name: 'fc1/bias', shape: [2], dtype: 'float32' },
];
const values = Float32Array.from([1, -2, 3.5, 4, 5e-8, -6e7, 0.25, -0.125]);

/** A well-formed FLKW header around any manifest text and data section, as a hostile device could send. */
function payloadWithManifest(json: string, codecByte: number, data: Uint8Array): Uint8Array {
  const text = new TextEncoder().encode(json);
  const dataOffset = (12 + text.length + 3) & ~3;
  const out = new Uint8Array(dataOffset + data.length);
  out.set([0x46, 0x4c, 0x4b, 0x57, 1, codecByte, 1, 0]);
  new DataView(out.buffer).setUint32(8, text.length, true);
  out.set(text, 12);
  out.set(data, dataOffset);
  return out;
}

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

  it.each([
    ['[null]', 'entry 0'],
    ['[1]', 'entry 0'],
    ['["x"]', 'entry 0'],
    ['[{"name":"w","shape":null,"dtype":"float32"}]', 'entry 0'],
    ['[{"name":"w","shape":[2],"dtype":"float32"},{"name":"w","shape":[-1],"dtype":"float32"}]', 'entry 1'],
  ])('refuses a manifest %s with a CodecError naming %s, with or without an expected manifest', (json, entry) => {
    for (const codecByte of [0, 1, 2, 3]) {
      const bytes = payloadWithManifest(json, codecByte, new Uint8Array(8));
      expect(() => decodeWeights(bytes, manifest)).toThrow(CodecError);
      expect(() => decodeWeights(bytes, manifest)).toThrow(new RegExp(entry));
      expect(() => decodeWeights(bytes)).toThrow(CodecError);
    }
  });

  it('refuses a manifest describing more values than any model holds, before allocating them', () => {
    const huge = JSON.stringify([{ name: 'w', shape: [1 << 27, 1 << 27], dtype: 'float32' }]);
    const overflow = JSON.stringify([{ name: 'w', shape: Array(40).fill(1 << 27), dtype: 'float32' }]);
    for (const json of [huge, overflow]) {
      for (const codecByte of [0, 1, 2, 3]) {
        // top-k with a count of 0 is 4 bytes of data: a decoder that trusts the manifest allocates it all.
        expect(() => decodeWeights(payloadWithManifest(json, codecByte, new Uint8Array(4)))).toThrow(/manifest describes .* values; a model holds at most/);
      }
    }
  });

  it('decodes or throws a CodecError, nothing else, for any JSON as manifest (fast-check, seed 15)', () => {
    const payload = fc
      .tuple(fc.json({ maxDepth: 3 }), fc.integer({ min: 0, max: 4 }), fc.uint8Array({ maxLength: 64 }))
      .map(([json, codecByte, data]) => payloadWithManifest(json, codecByte, data));
    fc.assert(
      fc.property(payload, (bytes) => {
        try {
          decodeWeights(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(CodecError);
        }
      }),
      { seed: 15, numRuns: 2_000 },
    );
  });

  it('refuses to encode values that do not match the manifest', () => {
    expect(() => encodeWeights(manifest, new Float32Array(3), 'delta')).toThrow(/describes 8/);
  });
});

describe('weights codec: compact codecs', () => {
  const big: WeightsManifest = [
    { name: 'fc1/kernel', shape: [784, 20], dtype: 'float32' },
    { name: 'fc1/bias', shape: [20], dtype: 'float32' },
  ];
  const rng = createRng(3);
  const delta = Float32Array.from({ length: 784 * 20 + 20 }, () => gaussian(rng) * 0.01);
  const codecs: [string, WeightsCodec, number][] = [
    ['float32', { name: 'float32' }, 4],
    ['float16', { name: 'float16' }, 2],
    ['int8', { name: 'int8', chunkSize: 256 }, 1.02],
    ['topk', { name: 'topk', fraction: 0.01 }, 0.05],
  ];

  it.each(codecs)('%s names itself in the header and costs at most its bytes per value', (name, codec, bytesPerValue) => {
    const bytes = encodeWeights(big, delta, 'delta', codec, { random: createRng(1) });
    const decoded = decodeWeights(bytes, big);
    expect(decoded.codec).toBe(name);
    expect(decoded.kind).toBe('delta');
    expect(decoded.values.length).toBe(delta.length);
    const dataBytes = bytes.byteLength - (12 + JSON.stringify(big).length + 3);
    expect(dataBytes / delta.length).toBeLessThanOrEqual(bytesPerValue);
  });

  it.each(codecs)('%s refuses a truncated payload and one for another model', (_, codec) => {
    const bytes = encodeWeights(big, delta, 'delta', codec, { random: createRng(1) });
    expect(() => decodeWeights(bytes.subarray(0, bytes.length - 1), big)).toThrow(CodecError);
    expect(() => decodeWeights(bytes, manifest)).toThrow(/manifest has 2 tensors|tensor 0 is fc1\/kernel/);
  });

  it('decodes compact payloads at unaligned offsets', () => {
    for (const [, codec] of codecs) {
      const bytes = encodeWeights(big, delta, 'delta', codec, { random: createRng(1) });
      const shifted = new Uint8Array(bytes.length + 1);
      shifted.set(bytes, 1);
      expect(decodeWeights(shifted.subarray(1), big).values).toEqual(decodeWeights(bytes, big).values);
    }
  });

  it('refuses an unknown codec byte with a reason', () => {
    const bytes = encodeWeights(big, delta, 'delta', { name: 'float16' });
    bytes[5] = 9;
    expect(() => decodeWeights(bytes, big)).toThrow(/codec 9 is not supported/);
  });

  it('refuses a float16 payload whose data is cut short', () => {
    const bytes = encodeWeights(manifest, values, 'weights', { name: 'float16' });
    expect(() => decodeWeights(bytes.subarray(0, bytes.length - 2))).toThrow(/float16 payload holds 14 data bytes, manifest needs 16/);
  });
});
