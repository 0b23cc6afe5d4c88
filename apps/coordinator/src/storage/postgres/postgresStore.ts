import pg from 'pg';
import { COORDINATOR_SILENCE_MS } from '../../cluster/coordinatorHeartbeat.ts';
import type { SigningKey } from '../../auth/signingKey.ts';
import { migrate } from '../sql/schema.ts';
import { SqlSigningKey } from '../sql/sqlSigningKey.ts';
import { SqlStore } from '../sql/sqlStore.ts';
import { BackupRefusedError, type DurableStore, type StoreOptions } from '../store.ts';
import { postgresClient } from './postgresClient.ts';

/** How long a connection attempt may take before the server counts as unreachable. */
const CONNECT_TIMEOUT_MS = 10_000;
/** Connections for everything but leases: thousands of devices saying hello at once queue here. */
const POOL_SIZE = 20;
/**
 * Leases renew on connections of their own: queued behind a burst of hellos and updates on the main
 * pool, a renewal came after the lease expired and the federation changed hands while nobody had failed.
 */
const LEASE_POOL_SIZE = 2;

/** The SQL store on a PostgreSQL server; closing it closes the pool. */
export class PostgresStore extends SqlStore implements DurableStore {
  private readonly key: SqlSigningKey;

  constructor(
    private readonly pool: pg.Pool,
    private readonly leasePool: pg.Pool,
    private readonly server: string,
    options: StoreOptions,
  ) {
    super(postgresClient(pool), options, postgresClient(leasePool));
    this.key = new SqlSigningKey(postgresClient(pool));
  }

  /** In the database, so every coordinator on it signs and checks tokens with the same key. */
  async signingKey(): Promise<SigningKey> {
    return { ...(await this.key.open()), where: `the database at ${this.server}` };
  }

  /** A new key for every coordinator on the database; refused while one of them still runs (it would keep signing with the old key). */
  async rotateSigningKey(): Promise<string> {
    const running = (await this.coordinators.list(COORDINATOR_SILENCE_MS)).filter((c) => c.alive);
    if (running.length > 0) {
      throw new Error(
        `${running.length === 1 ? 'a coordinator is' : `${running.length} coordinators are`} still running on the database at ${this.server} ` +
          `(${running.map((c) => `${c.id} at ${c.url}`).join(', ')}): stop every coordinator on it first, since a running one would keep the old key, then rotate the key`,
      );
    }
    await this.key.rotate();
    return `the database at ${this.server}`;
  }

  backup(): Promise<Uint8Array> {
    return Promise.reject(
      new BackupRefusedError(
        `this coordinator keeps its data in PostgreSQL at ${this.server} (FLOCK_DATABASE_URL), which flockctl backup does not copy: ` +
          'back it up with pg_dump (`pg_dump --format=custom --file flock.dump "$FLOCK_DATABASE_URL"`), which holds the signing key too',
      ),
    );
  }

  override async close(): Promise<void> {
    await super.close();
    await Promise.all([this.pool.end(), this.leasePool.end()]);
  }
}

/** The store on the PostgreSQL server at `databaseUrl`, its schema brought up to date; fails with a sentence when the server cannot be used. */
export async function openPostgresStore(databaseUrl: string, options: StoreOptions = {}): Promise<PostgresStore> {
  const server = serverOf(databaseUrl);
  const pool = new pg.Pool({ connectionString: databaseUrl, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, max: POOL_SIZE });
  const leasePool = new pg.Pool({ connectionString: databaseUrl, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, max: LEASE_POOL_SIZE });
  // An idle connection whose server went away: the pool drops it and the next query reports the failure where it is made.
  pool.on('error', () => undefined);
  leasePool.on('error', () => undefined);
  try {
    await migrate(postgresClient(pool));
  } catch (err) {
    await Promise.all([pool.end(), leasePool.end()]);
    throw new Error(whyUnusable(server, new URL(databaseUrl), err), { cause: err });
  }
  return new PostgresStore(pool, leasePool, server, options);
}

/** host:port as the URL names them (never its password). */
function serverOf(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  const host = url.hostname || url.searchParams.get('host') || 'localhost';
  return `${host}:${url.port || '5432'}`;
}

function whyUnusable(server: string, url: URL, err: unknown): string {
  const { code, message } = err as { code?: string; message?: string };
  // A refused connection to a name with several addresses comes as an AggregateError without a message.
  const said = `(${message || code || String(err)})`;
  const database = decodeURIComponent(url.pathname.slice(1)) || decodeURIComponent(url.username);
  switch (code) {
    case '28P01':
    case '28000':
      return `PostgreSQL at ${server} refused user ${decodeURIComponent(url.username) || '(none)'}: check the user and password in FLOCK_DATABASE_URL ${said}`;
    case '3D000':
      return `PostgreSQL at ${server} has no database ${database}: create it (\`createdb ${database}\`) or name another in FLOCK_DATABASE_URL ${said}`;
    case undefined:
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
      return `PostgreSQL at ${server} could not be reached: start it, or set FLOCK_DATABASE_URL to a server that runs ${said}`;
    default:
      return `PostgreSQL at ${server} could not be prepared for Flock ${said}`;
  }
}
