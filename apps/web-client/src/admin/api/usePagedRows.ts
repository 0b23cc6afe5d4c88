import { pageSchema } from '@flock/fl-core/protocol';
import { useCallback, useEffect, useState } from 'react';
import type { z } from 'zod';
import { adminCall } from './adminApi.ts';

/** Rows per page: the server allows 100 at most, a screen reads 50. */
export const PAGE_ROWS = 50;

/** The table's query (sort, filter, route filters, cursor) as URL parameters, under a prefix when a view has two tables. */
function readParams(prefix: string, keys: readonly string[]): Record<string, string> {
  const url = new URLSearchParams(window.location.search);
  const params: Record<string, string> = {};
  for (const key of [...keys, 'cursor']) {
    const value = url.get(prefix + key);
    if (value) params[key] = value;
  }
  return params;
}

/** Where the cursors of earlier pages live: in the tab's history entry, so Previous still works after a reload. */
const earlierKey = (prefix: string) => `${prefix}earlierCursors`;

function readEarlier(prefix: string): string[] {
  const stored: unknown = (window.history.state as Record<string, unknown> | null)?.[earlierKey(prefix)];
  return Array.isArray(stored) && stored.every((c) => typeof c === 'string') ? stored : [];
}

function writeParams(prefix: string, keys: readonly string[], params: Record<string, string>, earlier: readonly string[]): void {
  const url = new URL(window.location.href);
  for (const key of [...keys, 'cursor']) {
    if (params[key]) url.searchParams.set(prefix + key, params[key]);
    else url.searchParams.delete(prefix + key);
  }
  const state = { ...(window.history.state as Record<string, unknown> | null), [earlierKey(prefix)]: earlier };
  window.history.replaceState(state, '', url);
}

interface PagedRowsOptions<T> {
  token: string;
  /** The REST route, without a query. */
  path: string;
  item: z.ZodType<T>;
  /** The query parameters this table keeps in the URL besides the cursor (sort, filter, state...). */
  keys: readonly string[];
  prefix?: string;
  /** Changes when the live feed says something changed: the open page is fetched again. */
  refreshKey: number;
}

export interface PagedRows<T> {
  rows: T[];
  total: number;
  loading: boolean;
  problem: string | null;
  params: Record<string, string>;
  /** Sets one query parameter (null removes it) and goes back to the first page. */
  setParam: (key: string, value: string | null) => void;
  hasNext: boolean;
  hasPrevious: boolean;
  next: () => void;
  previous: () => void;
}

/** One page of a console table, paged, sorted and filtered by the coordinator; its state lives in the URL so a link shares it. */
export function usePagedRows<T>({ token, path, item, keys, prefix = '', refreshKey }: PagedRowsOptions<T>): PagedRows<T> {
  const [params, setParams] = useState(() => readParams(prefix, keys));
  // Cursors of the pages before this one, for Previous (keyset cursors only go forward).
  const [earlier, setEarlier] = useState<string[]>(() => (readParams(prefix, keys).cursor ? readEarlier(prefix) : []));
  const [page, setPage] = useState<{ rows: T[]; total: number; nextCursor: string | null }>({ rows: [], total: 0, nextCursor: null });
  const [loading, setLoading] = useState(true);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => writeParams(prefix, keys, params, earlier), [prefix, keys, params, earlier]);

  useEffect(() => {
    let current = true;
    const query = new URLSearchParams({ paged: 'true', limit: String(PAGE_ROWS), ...params });
    void adminCall(token, 'GET', `${path}?${query}`, pageSchema(item)).then((result) => {
      if (!current) return;
      setLoading(false);
      if (result.ok) {
        setPage({ rows: result.value.items as T[], total: result.value.total, nextCursor: result.value.nextCursor });
        setProblem(null);
      } else if (params.cursor && result.status === 400) {
        // A cursor from an older link (or rows that are gone): start again from the first page.
        setParams(({ cursor: _stale, ...rest }) => rest);
      } else {
        setProblem(`Could not load this table: ${result.reason}. It is loaded again when the federation changes; reload the page to try now.`);
      }
    });
    return () => {
      current = false;
    };
  }, [token, path, item, params, refreshKey]);

  const setParam = useCallback((key: string, value: string | null) => {
    setParams((current) => {
      // The same value (the filter box settling on what the URL already said) keeps the page and fetches nothing.
      if ((current[key] ?? null) === (value || null)) return current;
      setEarlier([]);
      const { cursor: _first, [key]: _old, ...others } = current;
      return value ? { ...others, [key]: value } : others;
    });
  }, []);

  return {
    rows: page.rows,
    total: page.total,
    loading,
    problem,
    params,
    setParam,
    hasNext: page.nextCursor !== null,
    hasPrevious: params.cursor !== undefined,
    next: () => {
      const nextCursor = page.nextCursor;
      if (nextCursor === null) return;
      setEarlier((stack) => [...stack, params.cursor ?? '']);
      setParams((p) => ({ ...p, cursor: nextCursor }));
    },
    previous: () => {
      const before = earlier.at(-1) ?? '';
      setEarlier((stack) => stack.slice(0, -1));
      setParams(({ cursor: _now, ...rest }) => (before ? { ...rest, cursor: before } : rest));
    },
  };
}
