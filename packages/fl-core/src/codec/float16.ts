/**
 * IEEE 754 binary16 ("half") conversions for whole arrays, in plain JS so every browser and Node
 * gives the same bits (Float16Array is not everywhere yet). float32 -> half rounds to nearest even;
 * magnitudes from 65520 up become Infinity, NaN stays NaN.
 */

/** Largest finite half: 65504. */
export const HALF_MAX = 65504;

let halfTable: Float32Array | null = null;

/** All 65536 halves as float32, built once (256 KiB): decoding is one lookup per value. */
function halfToFloatTable(): Float32Array {
  if (halfTable) return halfTable;
  const table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >>> 10) & 0x1f;
    const mantissa = h & 0x3ff;
    if (exponent === 0) table[h] = sign * mantissa * 2 ** -24;
    else if (exponent === 31) table[h] = mantissa ? Number.NaN : sign * Number.POSITIVE_INFINITY;
    else table[h] = sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
  }
  halfTable = table;
  return table;
}

/** The half bits of one float32, given as its bits and its value (the value serves subnormals). */
function halfBits(bits: number, value: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const abs = bits & 0x7fffffff;
  if (abs >= 0x7f800000) return abs > 0x7f800000 ? sign | 0x7e00 : sign | 0x7c00;
  if (abs >= 0x477ff000) return sign | 0x7c00; // 65520 and up round to Infinity
  if (abs >= 0x38800000) {
    // Normal half: rebias the exponent (127 -> 15), drop 13 mantissa bits rounding to nearest even.
    return sign | ((abs - 0x38000000 + 0xfff + ((abs >>> 13) & 1)) >>> 13);
  }
  // Subnormal half (or zero): the value in units of 2^-24, rounded to nearest even.
  const units = Math.abs(value) * 16777216;
  const floor = Math.floor(units);
  const rest = units - floor;
  return sign | (rest > 0.5 || (rest === 0.5 && (floor & 1) === 1) ? floor + 1 : floor);
}

/** Writes the half of each value into `out` (same length). */
export function floatsToHalves(values: Float32Array, out: Uint16Array): void {
  if (out.length !== values.length) throw new RangeError(`out holds ${out.length} halves for ${values.length} values`);
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < values.length; i++) out[i] = halfBits(bits[i]!, values[i]!);
}

/** The half of one number, as bits. */
export function toHalf(value: number): number {
  const f = new Float32Array([value]);
  return halfBits(new Uint32Array(f.buffer)[0]!, f[0]!);
}

/** The number a half's bits stand for. */
export function fromHalf(bits: number): number {
  return halfToFloatTable()[bits & 0xffff]!;
}

/** Writes the float32 of each half into `out` (same length). */
export function halvesToFloats(halves: Uint16Array, out: Float32Array): void {
  if (out.length !== halves.length) throw new RangeError(`out holds ${out.length} values for ${halves.length} halves`);
  const table = halfToFloatTable();
  for (let i = 0; i < halves.length; i++) out[i] = table[halves[i]!]!;
}

/** Half bits from bytes at any offset (little-endian), copied to aligned storage when needed. */
export function readHalves(bytes: Uint8Array, count: number): Uint16Array {
  if (bytes.byteOffset % 2 === 0) return new Uint16Array(bytes.buffer, bytes.byteOffset, count);
  const out = new Uint16Array(count);
  new Uint8Array(out.buffer).set(bytes.subarray(0, count * 2));
  return out;
}
