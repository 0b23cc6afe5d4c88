import type { PGlite, Transaction } from '@electric-sql/pglite';
import type { SqlClient, SqlQueries } from '../sql/sqlClient.ts';

/** The SQL store's client over PGlite's one connection, which runs one statement or transaction at a time: nothing to retry. */
export function pgliteClient(db: PGlite): SqlClient {
  return { ...queriesOf(db), transaction: (fn) => db.transaction((tx) => fn(queriesOf(tx))) };
}

function queriesOf(db: PGlite | Transaction): SqlQueries {
  return {
    query: async <R>(sql: string, params?: readonly unknown[]) => {
      const result = await db.query<R>(sql, params && [...params]);
      return { rows: result.rows, affectedRows: result.affectedRows ?? 0 };
    },
    exec: async (sql: string) => void (await db.exec(sql)),
  };
}
