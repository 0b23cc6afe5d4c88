import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WEIGHTS_CODECS } from '../protocol/codecNames.ts';
import type { WeightsCodec } from './codecSpec.ts';
import { applyModelDelta } from './downlinkDelta.ts';
import { CodecError, decodeWeights, encodeWeights, type WeightsManifest } from './weightsCodec.ts';

// Whatever bytes a device sends, a decoder answers with values or a CodecError (its reason goes back
// to the device); any other throw would escape as the coordinator's own failure. Any JSON as manifest:
// weightsCodec.test.ts.
const SEED = 15;

const manifest: WeightsManifest = [
  { name: 'dense/kernel', shape: [6, 5], dtype: 'float32' },
  { name: 'dense/bias', shape: [5], dtype: 'float32' },
];
const CODECS: Record<(typeof WEIGHTS_CODECS)[number], WeightsCodec> = {
  float32: { name: 'float32' },
  float16: { name: 'float16' },
  int8: { name: 'int8', chunkSize: 8 },
  topk: { name: 'topk', fraction: 0.2 },
};

const validPayload = fc
  .record({ codec: fc.constantFrom(...WEIGHTS_CODECS), values: fc.float32Array({ minLength: 35, maxLength: 35 }) })
  .map(({ codec, values }) => encodeWeights(manifest, values, 'delta', CODECS[codec]));

/** A valid payload with some bytes overwritten, some cut off or some appended: what a fuzzer or an attacker sends. */
const mutatedPayload = fc
  .tuple(
    validPayload,
    fc.array(fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }), { maxLength: 8 }),
    fc.option(fc.nat(), { nil: undefined }),
    fc.uint8Array({ maxLength: 16 }),
  )
  .map(([bytes, writes, cut, tail]) => {
    const out = new Uint8Array(bytes.length + tail.length);
    out.set(bytes);
    out.set(tail, bytes.length);
    for (const { at, byte } of writes) out[at % out.length] = byte;
    return cut === undefined ? out : out.subarray(0, cut % (out.length + 1));
  });

function decodesOrRefuses(decode: () => unknown): void {
  try {
    decode();
  } catch (err) {
    expect(err).toBeInstanceOf(CodecError);
  }
}

describe('decoders given hostile bytes', () => {
  it('decodeWeights returns values or throws a CodecError for a mutated valid payload', () => {
    fc.assert(
      fc.property(mutatedPayload, fc.boolean(), (bytes, expectManifest) => decodesOrRefuses(() => decodeWeights(bytes, expectManifest ? manifest : undefined))),
      { seed: SEED, numRuns: 2_000 },
    );
  });

  it('applyModelDelta returns a model or throws a CodecError for a mutated delta', () => {
    const held = new Float32Array(35);
    fc.assert(
      fc.property(mutatedPayload, (bytes) => decodesOrRefuses(() => applyModelDelta(held, bytes, manifest, 'float16'))),
      { seed: SEED, numRuns: 1_000 },
    );
  });
});
