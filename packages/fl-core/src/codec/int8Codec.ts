import { CodecError } from './codecError.ts';

/**
 * int8 data section (after the FLKW header and manifest), little-endian:
 *
 *   u32                      chunkSize C
 *   f32 x ceil(n / C)        scale of each chunk: max|x| / 127 over its values (NaN when one is not finite)
 *   i8  x n                  q, the value is q * scale
 *
 * With a random source each value rounds stochastically (q = floor(x / scale + u), u uniform in
 * [0, 1)): E[q * scale] = x, the error is unbiased and below one scale step. Without one it rounds to
 * nearest: the error is at most scale / 2.
 */
export const MAX_INT8_CHUNK = 1 << 20;

export function int8DataBytes(count: number, chunkSize: number): number {
  return 4 + 4 * Math.ceil(count / chunkSize) + count;
}

export function encodeInt8(values: Float32Array, chunkSize: number, random?: () => number): Uint8Array {
  if (!Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > MAX_INT8_CHUNK) {
    throw new CodecError(`int8 chunk size must be an integer from 1 to ${MAX_INT8_CHUNK}, got ${chunkSize}`);
  }
  const n = values.length;
  const chunks = Math.ceil(n / chunkSize);
  const out = new Uint8Array(int8DataBytes(n, chunkSize));
  const view = new DataView(out.buffer);
  view.setUint32(0, chunkSize, true);
  const scales = new Float32Array(out.buffer, 4, chunks);
  const q = new Int8Array(out.buffer, 4 + 4 * chunks, n);
  for (let c = 0; c < chunks; c++) {
    const start = c * chunkSize;
    const end = Math.min(n, start + chunkSize);
    let max = 0;
    let finite = true;
    for (let i = start; i < end; i++) {
      const v = values[i]!;
      const a = v < 0 ? -v : v;
      if (a > max) max = a;
      else if (!(a <= max)) finite = false; // NaN
    }
    if (!finite || max === Number.POSITIVE_INFINITY) {
      // Faithful: the coordinator sees a non-finite chunk and refuses the update with a reason.
      scales[c] = Number.NaN;
      continue;
    }
    const scale = Math.fround(max / 127);
    scales[c] = scale;
    if (scale === 0) continue;
    const inv = 1 / scale;
    if (random) {
      for (let i = start; i < end; i++) {
        const r = Math.floor(values[i]! * inv + random());
        q[i] = r > 127 ? 127 : r < -127 ? -127 : r;
      }
    } else {
      for (let i = start; i < end; i++) {
        const r = Math.round(values[i]! * inv);
        q[i] = r > 127 ? 127 : r < -127 ? -127 : r;
      }
    }
  }
  return out;
}

export function decodeInt8(data: Uint8Array, count: number): Float32Array {
  if (data.byteLength < 4) throw new CodecError(`int8 data of ${data.byteLength} bytes has no chunk size`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const chunkSize = view.getUint32(0, true);
  if (chunkSize < 1 || chunkSize > MAX_INT8_CHUNK) throw new CodecError(`int8 chunk size ${chunkSize} is out of range`);
  const expected = int8DataBytes(count, chunkSize);
  if (data.byteLength !== expected) {
    throw new CodecError(`int8 data holds ${data.byteLength} bytes, ${count} values in chunks of ${chunkSize} need ${expected}`);
  }
  const chunks = Math.ceil(count / chunkSize);
  const scales = new Float32Array(chunks);
  for (let c = 0; c < chunks; c++) {
    const s = view.getFloat32(4 + 4 * c, true);
    if (s < 0) throw new CodecError(`int8 chunk ${c} has a negative scale ${s}`);
    scales[c] = s;
  }
  const q = new Int8Array(data.buffer, data.byteOffset + 4 + 4 * chunks, count);
  const out = new Float32Array(count);
  for (let c = 0; c < chunks; c++) {
    const scale = scales[c]!;
    const end = Math.min(count, (c + 1) * chunkSize);
    for (let i = c * chunkSize; i < end; i++) out[i] = q[i]! * scale;
  }
  return out;
}
