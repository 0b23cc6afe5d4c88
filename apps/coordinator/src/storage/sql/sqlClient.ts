import type { Row } from './rows.ts';

export interface SqlResult<R> {
  rows: R[];
  /** Rows an insert, update or delete touched (0 for a select). */
  affectedRows: number;
}

/** Statements on one connection: a whole client, or one transaction's. */
export interface SqlQueries {
  /** One statement with $1, $2... parameters (a Uint8Array goes as bytea, an array as a PostgreSQL array). */
  query<R = Row>(sql: string, params?: readonly unknown[]): Promise<SqlResult<R>>;
  /** Several statements without parameters (the schema). */
  exec(sql: string): Promise<void>;
}

/**
 * What the SQL store needs of a database engine (storage/pglite over its one connection,
 * storage/postgres over a pool): the same statements run on both.
 */
export interface SqlClient extends SqlQueries {
  /**
   * Runs `fn` in one transaction on one connection: committed when it resolves, rolled back when it
   * throws. On a server, a transaction a deadlock or serialization failure aborted runs again, so
   * `fn` must only change what it wrote (a rolled-back attempt leaves nothing behind).
   */
  transaction<T>(fn: (tx: SqlQueries) => Promise<T>): Promise<T>;
}
