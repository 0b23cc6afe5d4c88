import type { Page } from '@flock/fl-core';

type SortValue = string | number | null;

export interface PageRequest<F extends string> {
  limit: number;
  cursor?: string | undefined;
  filter?: string | undefined;
  sort: { field: F; descending: boolean };
}

export interface RowAccess<T, F extends string> {
  /** Unique per row: breaks ties, so a cursor is stable when rows arrive or change between pages. */
  key(row: T): string;
  value(row: T, field: F): SortValue;
  /** The row's visible text, matched case-insensitively by `filter`. */
  text(row: T): string;
}

/** Where the previous page ended, and the sort and filter it was cut under (a cursor is only good for those). */
interface Cursor {
  sort: string;
  filter: string;
  value: SortValue;
  key: string;
}

export type PageResult<T> = { ok: true; page: Page<T> } | { ok: false; reason: string };

/** One page of `rows` after sorting and filtering: keyset paging over (sort value, key), nulls last. */
export function pageOf<T, F extends string>(rows: readonly T[], request: PageRequest<F>, access: RowAccess<T, F>): PageResult<T> {
  const sort = `${request.sort.descending ? '-' : ''}${request.sort.field}`;
  const filter = (request.filter ?? '').trim().toLowerCase();
  const after = request.cursor === undefined ? null : decodeCursor(request.cursor);
  if (after === undefined) return { ok: false, reason: 'the cursor is not one this coordinator gave: start again from the first page (leave out cursor)' };
  if (after && (after.sort !== sort || after.filter !== filter)) {
    return { ok: false, reason: 'the cursor belongs to another sort or filter: start again from the first page (leave out cursor)' };
  }
  const position = (row: T): [SortValue, string] => [access.value(row, request.sort.field), access.key(row)];
  const compare = (a: [SortValue, string], b: [SortValue, string]) => {
    const byValue = compareValues(a[0], b[0], request.sort.descending);
    return byValue !== 0 ? byValue : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
  };
  const matching = filter === '' ? [...rows] : rows.filter((row) => access.text(row).toLowerCase().includes(filter));
  const sorted = matching.map((row) => ({ row, at: position(row) })).sort((a, b) => compare(a.at, b.at));
  const start = after ? sorted.findIndex((r) => compare(r.at, [after.value, after.key]) > 0) : 0;
  const from = start < 0 ? sorted.length : start;
  const slice = sorted.slice(from, from + request.limit);
  const last = slice[slice.length - 1];
  const more = from + request.limit < sorted.length;
  return {
    ok: true,
    page: {
      items: slice.map((r) => r.row),
      total: matching.length,
      nextCursor: more && last ? encodeCursor({ sort, filter, value: last.at[0], key: last.at[1] }) : null,
    },
  };
}

/** Nulls sort last either way: a round without accuracy is never the "best" one. */
function compareValues(a: SortValue, b: SortValue, descending: boolean): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  const ascending = a < b ? -1 : 1;
  return descending ? -ascending : ascending;
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.sort, cursor.filter, cursor.value, cursor.key])).toString('base64url');
}

/** The cursor, or undefined when it is not one encodeCursor wrote. */
function decodeCursor(text: string): Cursor | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(text, 'base64url').toString());
    if (!Array.isArray(parsed) || parsed.length !== 4) return undefined;
    const [sort, filter, value, key] = parsed as unknown[];
    if (typeof sort !== 'string' || typeof filter !== 'string' || typeof key !== 'string') return undefined;
    if (value !== null && typeof value !== 'string' && typeof value !== 'number') return undefined;
    return { sort, filter, value, key };
  } catch {
    return undefined;
  }
}
