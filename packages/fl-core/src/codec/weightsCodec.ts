/**
 * Binary format for a model's variables (or a delta of them), flattened into one Float32Array:
 *
 *   0  "FLKW"            magic
 *   4  u8 formatVersion  (WEIGHTS_FORMAT_VERSION)
 *   5  u8 codec          0 = float32
 *   6  u8 kind           0 = weights, 1 = delta
 *   7  u8 reserved
 *   8  u32 LE            manifest JSON byte length
 *  12  manifest JSON     [{name, shape, dtype}]
 *   …  zero padding to a multiple of 4
 *   …  float32 LE values, tensors in manifest order
 */
export const WEIGHTS_FORMAT_VERSION = 1;
const MAGIC = [0x46, 0x4c, 0x4b, 0x57]; // "FLKW"
const HEADER_BYTES = 12;
const MAX_MANIFEST_BYTES = 1 << 20;

export interface TensorSpec {
  name: string;
  shape: number[];
  dtype: 'float32';
}
export type WeightsManifest = TensorSpec[];
export type WeightsKind = 'weights' | 'delta';

export interface DecodedWeights {
  kind: WeightsKind;
  manifest: WeightsManifest;
  values: Float32Array;
}

export class CodecError extends Error {
  override name = 'CodecError';
}

export function tensorSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function manifestSize(manifest: WeightsManifest): number {
  return manifest.reduce((n, t) => n + tensorSize(t.shape), 0);
}

export function encodeWeights(manifest: WeightsManifest, values: Float32Array, kind: WeightsKind): Uint8Array {
  const expected = manifestSize(manifest);
  if (values.length !== expected) {
    throw new CodecError(`values hold ${values.length} numbers but the manifest describes ${expected}`);
  }
  const manifestBytes = new TextEncoder().encode(JSON.stringify(manifest));
  const dataOffset = align4(HEADER_BYTES + manifestBytes.length);
  const out = new Uint8Array(dataOffset + values.byteLength);
  out.set(MAGIC, 0);
  out[4] = WEIGHTS_FORMAT_VERSION;
  out[5] = 0;
  out[6] = kind === 'weights' ? 0 : 1;
  new DataView(out.buffer).setUint32(8, manifestBytes.length, true);
  out.set(manifestBytes, HEADER_BYTES);
  out.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), dataOffset);
  return out;
}

/** Decodes and checks a payload; with `expected`, a manifest that differs in any tensor is refused. */
export function decodeWeights(bytes: Uint8Array, expected?: WeightsManifest): DecodedWeights {
  if (bytes.byteLength < HEADER_BYTES) throw new CodecError(`payload of ${bytes.byteLength} bytes is shorter than the header`);
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC[i]) throw new CodecError('payload is not Flock weights (bad magic)');
  }
  if (bytes[4] !== WEIGHTS_FORMAT_VERSION) {
    throw new CodecError(`weights format version ${bytes[4]} is not supported (expected ${WEIGHTS_FORMAT_VERSION})`);
  }
  if (bytes[5] !== 0) throw new CodecError(`codec ${bytes[5]} is not supported (expected 0, float32)`);
  const kindByte = bytes[6];
  if (kindByte !== 0 && kindByte !== 1) throw new CodecError(`unknown payload kind ${kindByte}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const manifestLength = view.getUint32(8, true);
  if (manifestLength > MAX_MANIFEST_BYTES || HEADER_BYTES + manifestLength > bytes.byteLength) {
    throw new CodecError(`manifest length ${manifestLength} does not fit the payload`);
  }
  const manifest = parseManifest(bytes.subarray(HEADER_BYTES, HEADER_BYTES + manifestLength));
  if (expected) assertSameManifest(manifest, expected);
  const dataOffset = align4(HEADER_BYTES + manifestLength);
  const count = manifestSize(manifest);
  if (bytes.byteLength !== dataOffset + count * 4) {
    throw new CodecError(`payload holds ${bytes.byteLength - dataOffset} data bytes, manifest needs ${count * 4}`);
  }
  // Copy: the payload's offset need not be 4-aligned (Node Buffers from a pool often are not).
  const values = new Float32Array(count);
  new Uint8Array(values.buffer).set(bytes.subarray(dataOffset));
  return { kind: kindByte === 0 ? 'weights' : 'delta', manifest, values };
}

export function assertSameManifest(actual: WeightsManifest, expected: WeightsManifest): void {
  if (actual.length !== expected.length) {
    throw new CodecError(`manifest has ${actual.length} tensors, expected ${expected.length}`);
  }
  actual.forEach((t, i) => {
    const e = expected[i]!;
    if (t.name !== e.name || t.dtype !== e.dtype || t.shape.join('x') !== e.shape.join('x')) {
      throw new CodecError(
        `tensor ${i} is ${t.name} ${t.dtype}[${t.shape.join('x')}], expected ${e.name} ${e.dtype}[${e.shape.join('x')}]`,
      );
    }
  });
}

function parseManifest(bytes: Uint8Array): WeightsManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new CodecError('manifest is not valid JSON');
  }
  if (!Array.isArray(raw)) throw new CodecError('manifest is not a list of tensors');
  return raw.map((t: unknown, i) => {
    const spec = t as Partial<TensorSpec>;
    const shapeOk =
      Array.isArray(spec.shape) && spec.shape.every((d) => Number.isInteger(d) && d >= 0 && d < 1 << 28);
    if (typeof spec.name !== 'string' || !shapeOk || spec.dtype !== 'float32') {
      throw new CodecError(`manifest entry ${i} is not {name, shape, dtype: "float32"}`);
    }
    return { name: spec.name, shape: spec.shape as number[], dtype: 'float32' };
  });
}

function align4(n: number): number {
  return (n + 3) & ~3;
}
