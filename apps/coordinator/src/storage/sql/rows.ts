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
