import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import type { SqlClient, SqlQueries } from '../sql/sqlClient.ts';

/**
 * serialization_failure and deadlock_detected: PostgreSQL aborted the work only because other work ran
 * at the same time (a coordinator migrating while another writes, two writers locking rows in opposite
 * orders, two retention passes deleting the same rows); run again, it succeeds.
 */
const RETRIED_CODES = new Set(['40001', '40P01']);
const ATTEMPTS = 5;

/**
 * The SQL store's client over a PostgreSQL pool: a statement takes any connection, a transaction holds
 * one from BEGIN to COMMIT; either runs again when PostgreSQL aborted it for a concurrent one.
 */
export function postgresClient(pool: pg.Pool): SqlClient {
  const onPool = queriesOf(pool);
  return {
    query: <R>(sql: string, params?: readonly unknown[]) => retried(() => onPool.query<R>(sql, params)),
    exec: (sql) => retried(() => onPool.exec(sql)),
    transaction: (fn) => retried(() => inTransaction(pool, fn)),
  };
}

async function inTransaction<T>(pool: pg.Pool, fn: (tx: SqlQueries) => Promise<T>): Promise<T> {
  const connection = await pool.connect();
  let broken: Error | undefined;
  try {
    await connection.query('begin');
    const result = await fn(queriesOf(connection));
    await connection.query('commit');
    return result;
  } catch (err) {
    await connection.query('rollback').catch((rollbackFailed: Error) => (broken = rollbackFailed));
    throw err;
  } finally {
    // A connection that could not even roll back is closed rather than given to the next caller.
    connection.release(broken);
  }
}

async function retried<T>(attempt: () => Promise<T>): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      if (n === ATTEMPTS || !RETRIED_CODES.has((err as { code?: string }).code ?? '')) throw err;
    }
    // Apart a little, at random, so the two do not collide again.
    await sleep(Math.random() * 20 * n);
  }
}

function queriesOf(db: pg.Pool | pg.PoolClient): SqlQueries {
  return {
    query: async <R>(sql: string, params?: readonly unknown[]) => {
      const result = await db.query(sql, params && [...params]);
      return { rows: result.rows as R[], affectedRows: result.rowCount ?? 0 };
    },
    exec: async (sql: string) => void (await db.query(sql)),
  };
}
