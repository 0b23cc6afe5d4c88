import { useEffect, useState, type ReactNode } from 'react';
import type { PagedRows } from '../../api/usePagedRows.ts';
import { formatCount } from './consoleFormat.ts';

const FILTER_DELAY_MS = 300;

/** A table's filter box, route filters (children), row count and page buttons. */
export function PageControls<T>({ table, noun, filterLabel, children }: { table: PagedRows<T>; noun: string; filterLabel: string; children?: ReactNode }) {
  const [text, setText] = useState(table.params.filter ?? '');
  const { setParam } = table;
  useEffect(() => {
    const timer = setTimeout(() => setParam('filter', text.trim() || null), FILTER_DELAY_MS);
    return () => clearTimeout(timer);
  }, [text, setParam]);

  return (
    <div className="controls table-controls">
      <label>
        {filterLabel} <input data-testid="table-filter" type="search" value={text} onChange={(e) => setText(e.target.value)} />
      </label>
      {children}
      <span className="muted" data-testid="table-total">
        {table.loading ? 'Loading…' : formatCount(table.total, noun)}
      </span>
      <button data-testid="page-previous" onClick={table.previous} disabled={!table.hasPrevious}>
        Previous
      </button>
      <button data-testid="page-next" onClick={table.next} disabled={!table.hasNext}>
        Next
      </button>
    </div>
  );
}

/** A column header that sorts by `field` (click again to reverse), as the server sorts. */
export function SortHeader<T>({ table, field, label, numeric = false }: { table: PagedRows<T>; field: string; label: string; numeric?: boolean }) {
  const sort = table.params.sort;
  const active = sort === field || sort === `-${field}`;
  const descending = sort === `-${field}`;
  return (
    <th className={numeric ? 'num' : undefined} aria-sort={active ? (descending ? 'descending' : 'ascending') : 'none'}>
      <button className="sort" onClick={() => table.setParam('sort', descending || !active ? field : `-${field}`)}>
        {label}
        {active ? (descending ? ' ▼' : ' ▲') : ''}
      </button>
    </th>
  );
}

/**
 * The rows (children: a table's head and body, in a table that scrolls sideways inside its card when
 * `tableTestId` is given), or why there are none: a load problem, no row matching the filters, or no row yet.
 */
export function PageBody<T>({
  table,
  noMatch,
  empty,
  tableTestId,
  children,
}: {
  table: PagedRows<T>;
  noMatch: string;
  empty: string;
  tableTestId?: string;
  children: ReactNode;
}) {
  const filtered = Object.keys(table.params).some((key) => key !== 'sort' && key !== 'cursor');
  return (
    <>
      {table.problem && <p className="error">{table.problem}</p>}
      {!table.loading && table.rows.length === 0 ? (
        <p className="muted">{filtered ? noMatch : empty}</p>
      ) : tableTestId === undefined ? (
        children
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid={tableTestId}>
            {children}
          </table>
        </div>
      )}
    </>
  );
}

/** A route filter as a choice: `any` clears it. */
export function FilterSelect<T>({
  table,
  param,
  label,
  any,
  options,
  testId,
}: {
  table: PagedRows<T>;
  param: string;
  label: string;
  any: string;
  options: Record<string, string>;
  testId: string;
}) {
  return (
    <label>
      {label}{' '}
      <select data-testid={testId} value={table.params[param] ?? ''} onChange={(e) => table.setParam(param, e.target.value || null)}>
        <option value="">{any}</option>
        {Object.entries(options).map(([value, words]) => (
          <option key={value} value={value}>
            {words}
          </option>
        ))}
      </select>
    </label>
  );
}
