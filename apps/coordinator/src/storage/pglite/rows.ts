/** A row as PGlite returns it; every read re-validates or converts its columns. */
export type Row = Record<string, unknown>;

export function toIso(v: unknown): string {
  return v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString();
}

export function nullableNumber(v: unknown): number | null {
  return v == null ? null : Number(v);
}
