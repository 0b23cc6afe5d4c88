import { execFile } from 'node:child_process';
import { chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { postgresBinaries, postgresUser } from '../../../../scripts/localServers.mjs';
import { freePort } from './coordinatorProcess.ts';

const execFileAsync = promisify(execFile);
const MISSING =
  `PostgreSQL is not installed (no initdb in /usr/lib/postgresql/*/bin nor on PATH): install it with \`apt-get install postgresql\` ` +
  '(.ci/run does when it is missing); the PostgreSQL tests start their own server and need no service running';
/** The superuser initdb creates; the server trusts local connections, so it has no password. */
const USER = 'flock';

/**
 * A throwaway PostgreSQL server for one test file: a cluster in a temporary folder, its own free port
 * and socket folder, nothing flushed to disk (fsync off), removed on stop. PostgreSQL refuses to run
 * as root, so under root it runs as the `postgres` user (Debian's package creates it) or `nobody`.
 */
export class PostgresServer {
  private constructor(
    private readonly run: (program: string, args: string[]) => Promise<unknown>,
    private readonly dir: string,
    readonly port: number,
  ) {}

  /** A server with an empty database `flock`; fails saying how to install PostgreSQL when it is missing. */
  static async launch(): Promise<PostgresServer> {
    const bin = postgresBinaries();
    if (!bin) throw new Error(MISSING);
    const dir = await mkdtemp(join(tmpdir(), 'flock-postgres-'));
    const runAs = postgresUser();
    if (runAs) await chown(dir, runAs.uid, runAs.gid);
    const run = (program: string, args: string[]) =>
      runAs ? execFileAsync('runuser', ['-u', runAs.name, '--', join(bin, program), ...args]) : execFileAsync(join(bin, program), args);
    const server = new PostgresServer(run, dir, await freePort());
    try {
      await run('initdb', ['-D', server.dataDir, '-U', USER, '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
      const settings = `-p ${server.port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=16MB`;
      await run('pg_ctl', ['start', '-w', '-D', server.dataDir, '-l', server.logFile, '-o', settings]);
    } catch (err) {
      const log = await readFile(server.logFile, 'utf8').catch(() => '');
      await rm(dir, { recursive: true, force: true });
      throw new Error(`PostgreSQL did not start in ${dir}: ${(err as Error).message}\n${log.slice(-4_000)}`, { cause: err });
    }
    await server.createDatabase('flock');
    return server;
  }

  /** The URL of database `name` on this server. */
  urlOf(name: string): string {
    return `postgres://${USER}@127.0.0.1:${this.port}/${name}`;
  }

  /** The `flock` database's URL. */
  get url(): string {
    return this.urlOf('flock');
  }

  /** A new empty database; returns its URL. */
  async createDatabase(name: string): Promise<string> {
    const client = new pg.Client({ connectionString: this.urlOf('postgres') });
    await client.connect();
    try {
      await client.query(`create database ${name}`);
    } finally {
      await client.end();
    }
    return this.urlOf(name);
  }

  /** Stops the server at once (its data is thrown away) and removes its folder. */
  async stop(): Promise<void> {
    try {
      await this.run('pg_ctl', ['stop', '-w', '-m', 'immediate', '-D', this.dataDir]);
    } finally {
      await rm(this.dir, { recursive: true, force: true });
    }
  }

  private get dataDir(): string {
    return join(this.dir, 'data');
  }

  private get logFile(): string {
    return join(this.dir, 'server.log');
  }
}
