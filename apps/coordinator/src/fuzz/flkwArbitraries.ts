import { decodeWeights } from '@flock/fl-core';
import fc from 'fast-check';
import { mutated } from './junkArbitraries.ts';

const HEADER_BYTES = 12;

/** Manifests a decoder must refuse with its own error: entries that are not tensors, shapes that overflow, not a list at all. */
const knownBadManifest = fc.constantFrom(
  '[null]',
  '[1]',
  '["w"]',
  '[[]]',
  '{}',
  'null',
  '[{"name":"w","shape":[-1],"dtype":"float32"}]',
  '[{"name":"w","shape":[268435455,268435455],"dtype":"float32"}]',
  '[{"name":"w","shape":[1e400],"dtype":"float32"}]',
  '[{"name":"w","shape":[0.5],"dtype":"float32"}]',
  '[{"name":"w","shape":[1],"dtype":"int32"}]',
  '[{"name":{"x":1},"shape":{"length":1},"dtype":"float32"}]',
  '{"length":1,"0":{"name":"w","shape":[1],"dtype":"float32"}}',
  '[{"name":"w","shape":[1],"dtype":"float32"',
);

/**
 * Those, any JSON, and lists mixing the model's own entries, mutated entries and other JSON values
 * (null among them), so a decoder that trusts entry i after checking entries 0..i-1 meets them.
 */
function badManifest(valid: Uint8Array): fc.Arbitrary<string> {
  const entries = decodeWeights(valid).manifest as unknown as Record<string, unknown>[];
  const entry = fc.oneof(fc.constantFrom(...entries), mutated(entries[0]!), fc.constant(null), fc.jsonValue({ maxDepth: 2 }));
  return fc.oneof(
    knownBadManifest,
    fc.array(entry, { minLength: 1, maxLength: 4 }).map((list) => JSON.stringify(list) ?? '[]'),
    fc.json({ maxDepth: 3 }),
  );
}

/** `valid` (an encoded FLKW payload) with the manifest replaced by `manifest`, the data kept. */
function withManifest(valid: Uint8Array, manifest: string): Uint8Array {
  const view = new DataView(valid.buffer, valid.byteOffset, valid.byteLength);
  const oldLength = view.getUint32(8, true);
  const data = valid.subarray(align4(HEADER_BYTES + oldLength));
  const text = new TextEncoder().encode(manifest);
  const dataOffset = align4(HEADER_BYTES + text.length);
  const out = new Uint8Array(dataOffset + data.length);
  out.set(valid.subarray(0, HEADER_BYTES));
  new DataView(out.buffer).setUint32(8, text.length, true);
  out.set(text, HEADER_BYTES);
  out.set(data, dataOffset);
  return out;
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

/** A copy of `bytes` with `patch` applied (mutations never touch the original). */
function patched(bytes: Uint8Array, patch: (copy: Uint8Array, view: DataView) => void): Uint8Array {
  const copy = bytes.slice();
  patch(copy, new DataView(copy.buffer));
  return copy;
}

/** A valid FLKW payload mutated: header bytes, codec, kind, manifest length, the manifest itself, truncated or extended. */
export function mutatedFlkw(valid: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    fc.tuple(fc.nat({ max: HEADER_BYTES - 1 }), fc.nat({ max: 255 })).map(([i, b]) => patched(valid, (c) => (c[i] = b))),
    fc.nat({ max: 255 }).map((b) => patched(valid, (c) => (c[5] = b))),
    fc.oneof(fc.constantFrom(0, 1, 0xffffffff, 0x7fffffff, valid.byteLength), fc.nat()).map((n) => patched(valid, (_c, v) => v.setUint32(8, n >>> 0, true))),
    { arbitrary: badManifest(valid).map((m) => withManifest(valid, m)), weight: 3 },
    fc.nat({ max: valid.byteLength }).map((n) => valid.slice(0, n)),
    fc.uint8Array({ minLength: 1, maxLength: 4096 }).map((tail) => Uint8Array.from([...valid, ...tail])),
    fc.tuple(fc.nat({ max: valid.byteLength - 1 }), fc.nat({ max: 255 })).map(([i, b]) => patched(valid, (c) => (c[i] = b))),
  );
}
