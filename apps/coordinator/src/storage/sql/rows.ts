/** A row as the driver returns it; every read re-validates or converts its columns. */
export type Row = Record<string, unknown>;

export function toIso(v: unknown): string {
  return v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString();
}

export function nullableNumber(v: unknown): number | null {
  return v == null ? null : Number(v);
}

/** A bytea column as a plain Uint8Array (pg gives a Buffer, whose slice() would not copy), over the same memory. */
export function bytesOf(v: unknown): Uint8Array {
  const bytes = v as Uint8Array;
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** float64 values back to back (the machine's byte order: little-endian wherever the coordinator runs), as a bytea column takes them. */
export function bytesOfFloat64(values: Float64Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/** bytea comes back as a Uint8Array that may not sit on an 8-byte boundary: copy before viewing as float64. */
export function float64Of(bytes: Uint8Array): Float64Array {
  return new Float64Array(bytes.slice().buffer);
}
