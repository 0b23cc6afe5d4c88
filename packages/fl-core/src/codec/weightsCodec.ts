import { z } from 'zod';
import { CodecError } from './codecError.ts';
import { codecByte, codecNameOfByte, DEFAULT_INT8_CHUNK, FLOAT32, topkCount, type WeightsCodec, type WeightsCodecName } from './codecSpec.ts';
import { floatsToHalves, halvesToFloats, readHalves } from './float16.ts';
import { decodeInt8, encodeInt8 } from './int8Codec.ts';
import { decodeTopK, encodeTopK, selectTopK } from './topkCodec.ts';

export { CodecError } from './codecError.ts';

/**
 * Binary format for a model's variables (or a delta of them), flattened into one array of n values:
 *
 *   0  "FLKW"            magic
 *   4  u8 formatVersion  (WEIGHTS_FORMAT_VERSION)
 *   5  u8 codec          0 = float32, 1 = float16, 2 = int8, 3 = topk (see codecSpec.ts)
 *   6  u8 kind           0 = weights, 1 = delta
 *   7  u8 reserved
 *   8  u32 LE            manifest JSON byte length
 *  12  manifest JSON     [{name, shape, dtype}]
 *   …  zero padding to a multiple of 4
 *   …  data, tensors in manifest order, by codec:
 *        float32  n x f32 LE
 *        float16  n x u16 LE (IEEE half, rounded to nearest even)
 *        int8     see int8Codec.ts (chunk size, a scale per chunk, n x i8)
 *        topk     see topkCodec.ts (count, values as halves, delta-coded varint indices)
 *
 * A decoder older than a codec refuses its payloads by the codec byte, with a reason.
 */
export const WEIGHTS_FORMAT_VERSION = 1;
const MAGIC = [0x46, 0x4c, 0x4b, 0x57]; // "FLKW"
const HEADER_BYTES = 12;
const MAX_MANIFEST_BYTES = 1 << 20;
const MAX_DIMENSION = 1 << 28;
/** Values in one model, all tensors together (256 MiB as float32): decoders refuse more before allocating. */
export const MAX_MODEL_VALUES = 1 << 26;

const TensorSpecSchema = z.object({
  name: z.string(),
  shape: z.array(
    z
      .number()
      .int()
      .min(0)
      .max(MAX_DIMENSION - 1),
  ),
  dtype: z.literal('float32'),
});

export type TensorSpec = z.infer<typeof TensorSpecSchema>;
export type WeightsManifest = TensorSpec[];
export type WeightsKind = 'weights' | 'delta';

export interface DecodedWeights {
  kind: WeightsKind;
  codec: WeightsCodecName;
  manifest: WeightsManifest;
  /** Dense values (top-k's unsent ones are 0). */
  values: Float32Array;
  /** How many values the payload carried: n, or top-k's count. */
  carried: number;
}

export interface EncodeOptions {
  /** Uniform in [0, 1): int8 rounds stochastically with it (unbiased); without it, to nearest. */
  random?: () => number;
}

export function tensorSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function manifestSize(manifest: WeightsManifest): number {
  return manifest.reduce((n, t) => n + tensorSize(t.shape), 0);
}

export function encodeWeights(
  manifest: WeightsManifest,
  values: Float32Array,
  kind: WeightsKind,
  codec: WeightsCodec = FLOAT32,
  options: EncodeOptions = {},
): Uint8Array {
  const expected = manifestSize(manifest);
  if (values.length !== expected) {
    throw new CodecError(`values hold ${values.length} numbers but the manifest describes ${expected}`);
  }
  if (codec.name === 'float32') {
    return frame(manifest, kind, codec.name, values.byteLength, (out) => out.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength)));
  }
  const data = encodeData(values, codec, options);
  return frame(manifest, kind, codec.name, data.byteLength, (out) => out.set(data));
}

function encodeData(values: Float32Array, codec: Exclude<WeightsCodec, { name: 'float32' }>, options: EncodeOptions): Uint8Array {
  switch (codec.name) {
    case 'float16': {
      const halves = new Uint16Array(values.length);
      floatsToHalves(values, halves);
      return new Uint8Array(halves.buffer);
    }
    case 'int8':
      return encodeInt8(values, codec.chunkSize ?? DEFAULT_INT8_CHUNK, options.random);
    case 'topk': {
      if (!(codec.fraction > 0 && codec.fraction <= 1)) throw new CodecError(`top-k fraction must be in (0, 1], got ${codec.fraction}`);
      return encodeTopK(values, selectTopK(values, topkCount(values.length, codec.fraction)));
    }
    default: {
      const unknown: never = codec;
      return unknown;
    }
  }
}

/** Header and manifest, then `dataBytes` written by `write` into the aligned data section. */
function frame(manifest: WeightsManifest, kind: WeightsKind, codec: WeightsCodecName, dataBytes: number, write: (data: Uint8Array) => void): Uint8Array {
  const manifestBytes = new TextEncoder().encode(JSON.stringify(manifest));
  const dataOffset = align4(HEADER_BYTES + manifestBytes.length);
  const out = new Uint8Array(dataOffset + dataBytes);
  out.set(MAGIC, 0);
  out[4] = WEIGHTS_FORMAT_VERSION;
  out[5] = codecByte(codec);
  out[6] = kind === 'weights' ? 0 : 1;
  new DataView(out.buffer).setUint32(8, manifestBytes.length, true);
  out.set(manifestBytes, HEADER_BYTES);
  write(out.subarray(dataOffset));
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
  const codec = codecNameOfByte(bytes[5]!);
  if (!codec) throw new CodecError(`codec ${bytes[5]} is not supported (this decoder reads float32, float16, int8 and topk)`);
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
  const kind = kindByte === 0 ? 'weights' : 'delta';
  const data = bytes.subarray(Math.min(dataOffset, bytes.byteLength));
  switch (codec) {
    case 'float32': {
      if (data.byteLength !== count * 4) throw new CodecError(`payload holds ${data.byteLength} data bytes, manifest needs ${count * 4}`);
      // Copy: the payload's offset need not be 4-aligned (Node Buffers from a pool often are not).
      const values = new Float32Array(count);
      new Uint8Array(values.buffer).set(data);
      return { kind, codec, manifest, values, carried: count };
    }
    case 'float16': {
      if (data.byteLength !== count * 2) throw new CodecError(`float16 payload holds ${data.byteLength} data bytes, manifest needs ${count * 2}`);
      const values = new Float32Array(count);
      halvesToFloats(readHalves(data, count), values);
      return { kind, codec, manifest, values, carried: count };
    }
    case 'int8':
      return { kind, codec, manifest, values: decodeInt8(data, count), carried: count };
    case 'topk': {
      const { values, count: carried } = decodeTopK(data, count);
      return { kind, codec, manifest, values, carried };
    }
    default: {
      const unknown: never = codec;
      return unknown;
    }
  }
}

export function assertSameManifest(actual: WeightsManifest, expected: WeightsManifest): void {
  if (actual.length !== expected.length) {
    throw new CodecError(`manifest has ${actual.length} tensors, expected ${expected.length}`);
  }
  actual.forEach((t, i) => {
    const e = expected[i]!;
    if (t.name !== e.name || t.dtype !== e.dtype || t.shape.join('x') !== e.shape.join('x')) {
      throw new CodecError(`tensor ${i} is ${t.name} ${t.dtype}[${t.shape.join('x')}], expected ${e.name} ${e.dtype}[${e.shape.join('x')}]`);
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
  const manifest = raw.map((entry: unknown, i) => {
    const parsed = TensorSpecSchema.safeParse(entry);
    if (!parsed.success) throw new CodecError(`manifest entry ${i} is not {name, shape, dtype: "float32"} with whole dimensions below ${MAX_DIMENSION}`);
    return parsed.data;
  });
  // Each dimension is bounded, their product is not: a few dimensions multiply past any buffer.
  const values = manifestSize(manifest);
  if (!(values <= MAX_MODEL_VALUES)) {
    throw new CodecError(`manifest describes ${values} values; a model holds at most ${MAX_MODEL_VALUES}`);
  }
  return manifest;
}

function align4(n: number): number {
  return (n + 3) & ~3;
}
