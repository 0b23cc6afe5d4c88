import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { z } from 'zod';
import { signingKeyPath } from '../../auth/signingKey.ts';
import { lockDataDir } from '../dataDirLock.ts';

/**
 * A backup file: this first line, a JSON header line (when, and the signing key that every token
 * was signed with), then PGlite's gzipped tarball of the database directory.
 */
const MAGIC = 'FLOCK-BACKUP 1\n';
const Header = z.object({ createdAt: z.string(), signingKey: z.string().min(1) });
type Header = z.infer<typeof Header>;

export interface Backup extends Header {
  database: Uint8Array;
}

/**
 * A consistent snapshot of a running coordinator's data: the checkpoint writes every committed
 * change into the data files, and the dump holds the database's query lock while it copies them.
 */
export async function takeBackup(db: PGlite, dataDir: string): Promise<Uint8Array> {
  await db.exec('checkpoint');
  const database = new Uint8Array(await (await db.dumpDataDir('gzip')).arrayBuffer());
  const header: Header = { createdAt: new Date().toISOString(), signingKey: (await readFile(signingKeyPath(dataDir), 'utf8')).trim() };
  return Buffer.concat([Buffer.from(`${MAGIC}${JSON.stringify(header)}\n`), database]);
}

export function readBackup(bytes: Uint8Array): Backup {
  const notOurs = new Error('this file is not a Flock backup (one written by `flockctl backup`)');
  if (Buffer.from(bytes.subarray(0, MAGIC.length)).toString('latin1') !== MAGIC) throw notOurs;
  const end = bytes.indexOf(0x0a, MAGIC.length);
  if (end < 0) throw notOurs;
  let header: Header;
  try {
    header = Header.parse(JSON.parse(Buffer.from(bytes.subarray(MAGIC.length, end)).toString('utf8')));
  } catch {
    throw new Error('this Flock backup is damaged: its header cannot be read');
  }
  return { ...header, database: bytes.subarray(end + 1) };
}

/**
 * Writes a backup into a data directory that has no database: refused while a coordinator holds
 * the directory, and when a database or another signing key is already there (nothing is overwritten).
 */
export async function restoreBackup(dataDir: string, bytes: Uint8Array): Promise<Backup> {
  const backup = readBackup(bytes);
  const lock = lockDataDir(dataDir);
  try {
    const pg = join(dataDir, 'pg');
    if (existsSync(pg)) throw new Error(`${pg} already holds a database: restore into an empty data dir, or move ${pg} away first`);
    const keyPath = signingKeyPath(dataDir);
    const keptKey = existsSync(keyPath) ? (await readFile(keyPath, 'utf8')).trim() : null;
    if (keptKey !== null && keptKey !== backup.signingKey) {
      throw new Error(`${keyPath} is another signing key than the backup's: move it away first (tokens it signed will not work with the restored data)`);
    }
    const db = await PGlite.create(pg, { loadDataDir: new Blob([new Uint8Array(backup.database)]) });
    await db.close();
    if (keptKey === null) await writeFile(keyPath, `${backup.signingKey}\n`, { mode: 0o600, flag: 'wx' });
    return backup;
  } finally {
    lock.release();
  }
}
