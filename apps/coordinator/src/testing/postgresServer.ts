import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './coordinatorProcess.ts';

const execFileAsync = promisify(execFile);
const DEBIAN_BINARIES = '/usr/lib/postgresql';
const MISSING =
  `PostgreSQL is not installed (no initdb in ${DEBIAN_BINARIES}/*/bin nor on PATH): install it with \`apt-get install postgresql\` ` +
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
    const bin = binaries();
    const dir = await mkdtemp(join(tmpdir(), 'flock-postgres-'));
    const runAs = process.getuid?.() === 0 ? unprivilegedUser() : null;
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

/** The folder holding initdb, pg_ctl and postgres: Debian's newest version, else PATH's. */
function binaries(): string {
  const versions = existsSync(DEBIAN_BINARIES) ? readdirSync(DEBIAN_BINARIES).sort((a, b) => Number(b) - Number(a)) : [];
  const debian = versions.map((v) => join(DEBIAN_BINARIES, v, 'bin')).find((bin) => existsSync(join(bin, 'initdb')));
  if (debian) return debian;
  const found = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' }).stdout.trim();
  if (!found) throw new Error(MISSING);
  return dirname(found);
}

function unprivilegedUser(): { name: string; uid: number; gid: number } {
  for (const name of ['postgres', 'nobody']) {
    const ids = ['-u', '-g'].map((flag) => Number(spawnSync('id', [flag, name], { encoding: 'utf8' }).stdout.trim() || Number.NaN));
    if (ids.every(Number.isInteger)) return { name, uid: ids[0]!, gid: ids[1]! };
  }
  throw new Error('running as root, and neither a postgres nor a nobody user exists to run PostgreSQL as (it refuses to run as root)');
}
