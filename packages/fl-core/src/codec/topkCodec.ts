import { CodecError } from './codecError.ts';
import { floatsToHalves, HALF_MAX, halvesToFloats, readHalves } from './float16.ts';

/**
 * top-k data section (after the FLKW header and manifest), little-endian:
 *
 *   u32               count k
 *   u16 x k           the kept values as float16, in index order
 *   varint x k        their indices, delta-coded: the first index, then each gap minus one
 *                     (LEB128, 7 bits a byte), ending exactly at the payload's end
 *
 * Unsent values read as 0.
 */

/**
 * Indices (ascending) of the `k` values largest in magnitude; exact zeros are never kept, so fewer
 * come back when fewer are non-zero. NaN counts as larger than any number, so it is sent, not hidden.
 * A radix select on the bits (for non-negative floats the bit order is the value order): two
 * histogram passes and one collecting pass, no sort and no copy.
 */
export function selectTopK(values: Float32Array, k: number): Uint32Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const n = values.length;
  if (k <= 0) return new Uint32Array(0);
  const high = new Uint32Array(65536);
  for (let i = 0; i < n; i++) high[(bits[i]! & 0x7fffffff) >>> 16]!++;
  let above = 0;
  let bin = 65535;
  while (bin > 0 && above + high[bin]! < k) above += high[bin--]!;
  const low = new Uint32Array(65536);
  for (let i = 0; i < n; i++) {
    const b = bits[i]! & 0x7fffffff;
    if (b >>> 16 === bin) low[b & 0xffff]!++;
  }
  let sub = 65535;
  while (sub > 0 && above + low[sub]! < k) above += low[sub--]!;
  const threshold = ((bin << 16) | sub) >>> 0;
  // Values above the threshold all go; ties at it fill what is left of k, in index order.
  let ties = threshold === 0 ? 0 : k - above;
  const kept = threshold === 0 ? above : k;
  const out = new Uint32Array(kept);
  let j = 0;
  for (let i = 0; i < n && j < kept; i++) {
    const b = bits[i]! & 0x7fffffff;
    if (b > threshold) out[j++] = i;
    else if (b === threshold && ties > 0) {
      out[j++] = i;
      ties--;
    }
  }
  return out;
}

export function encodeTopK(values: Float32Array, indices: Uint32Array): Uint8Array {
  const k = indices.length;
  const kept = new Float32Array(k);
  for (let j = 0; j < k; j++) {
    const v = values[indices[j]!]!;
    // Finite values beyond float16 are clamped (error feedback keeps the rest); NaN and Infinity go as they are.
    kept[j] = v > HALF_MAX && v < Infinity ? HALF_MAX : v < -HALF_MAX && v > -Infinity ? -HALF_MAX : v;
  }
  const varints = new Uint8Array(5 * k);
  let length = 0;
  let previous = -1;
  for (let j = 0; j < k; j++) {
    const index = indices[j]!;
    if (index <= previous) throw new CodecError(`top-k indices must ascend: ${index} follows ${previous}`);
    let gap = index - previous - 1;
    previous = index;
    while (gap >= 0x80) {
      varints[length++] = (gap & 0x7f) | 0x80;
      gap >>>= 7;
    }
    varints[length++] = gap;
  }
  const out = new Uint8Array(4 + 2 * k + length);
  new DataView(out.buffer).setUint32(0, k, true);
  floatsToHalves(kept, new Uint16Array(out.buffer, 4, k));
  out.set(varints.subarray(0, length), 4 + 2 * k);
  return out;
}

/** The dense values (zeros where nothing was sent) and how many were sent. */
export function decodeTopK(data: Uint8Array, size: number): { values: Float32Array; count: number } {
  if (data.byteLength < 4) throw new CodecError(`top-k data of ${data.byteLength} bytes has no count`);
  const k = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0, true);
  if (k > size) throw new CodecError(`top-k payload claims ${k} values, the model has ${size}`);
  const varintStart = 4 + 2 * k;
  if (data.byteLength < varintStart + k) {
    throw new CodecError(`top-k data of ${data.byteLength} bytes cannot hold ${k} values and their indices`);
  }
  const kept = new Float32Array(k);
  halvesToFloats(readHalves(data.subarray(4), k), kept);
  const out = new Float32Array(size);
  let pos = varintStart;
  let index = -1;
  for (let j = 0; j < k; j++) {
    let gap = 0;
    let shift = 0;
    for (;;) {
      if (pos >= data.byteLength) throw new CodecError(`top-k index ${j} of ${k} is cut off`);
      const byte = data[pos++]!;
      if (shift === 28 && byte > 0x0f) throw new CodecError(`top-k index ${j} does not fit 32 bits`);
      gap += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) break;
      shift += 7;
    }
    index += gap + 1;
    if (index >= size) throw new CodecError(`top-k index ${index} is past the model's ${size} values`);
    out[index] = kept[j]!;
  }
  if (pos !== data.byteLength) throw new CodecError(`top-k data has ${data.byteLength - pos} bytes after its ${k} indices`);
  return { values: out, count: k };
}
