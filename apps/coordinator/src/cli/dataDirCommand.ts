import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { rotateSigningKey } from '../auth/signingKey.ts';
import { restoreBackup } from '../storage/pglite/backup.ts';
import { openPostgresStore } from '../storage/postgres/postgresStore.ts';
import { lockDataDir } from '../storage/dataDirLock.ts';
import { clientOf, withConnection, type ConnectionFlags } from './adminConnection.ts';

/** `flockctl backup`, `flockctl restore` and `flockctl rotate-key`: looking after a coordinator's data directory. */
export function addDataDirCommands(program: Command, print: (line: string) => void = (line) => console.log(line)): void {
  withConnection(
    program
      .command('backup')
      .description("save a running coordinator's database and signing key to one file, without stopping it (restore it with flockctl restore)"),
  )
    .requiredOption('--out <file>', 'the backup file to write')
    .action(async (flags: ConnectionFlags & { out: string }) => {
      const backup = await clientOf(flags).backup();
      // 'wx': an earlier backup is never overwritten by mistake.
      await writeFile(flags.out, backup, { mode: 0o600, flag: 'wx' }).catch((err: NodeJS.ErrnoException) => {
        throw err.code === 'EEXIST' ? new Error(`${flags.out} already exists: choose another --out, or remove it first`) : err;
      });
      print(`backup written to ${flags.out} (${(backup.byteLength / 1_048_576).toFixed(1)} MiB); it holds the signing key: keep it private`);
    });

  program
    .command('restore')
    .description('write a backup file (from flockctl backup) into a data dir that holds no database; start the coordinator on that dir afterwards')
    .requiredOption('--data-dir <path>', 'the data dir to restore into: no coordinator may run on it, and it must hold no database')
    .argument('<file>', 'the backup file')
    .action(async (file: string, flags: { dataDir: string }) => {
      const backup = await restoreBackup(flags.dataDir, await readFile(file));
      print(`restored the backup of ${backup.createdAt} into ${flags.dataDir}; start the coordinator with --data-dir ${flags.dataDir} (FLOCK_DATA_DIR)`);
    });

  program
    .command('rotate-key')
    .description('replace the key every token is signed with: every token issued so far stops working, devices must enroll again')
    .option('--data-dir <path>', 'the data dir whose key is replaced (a coordinator on its embedded database); its coordinator must be stopped')
    .option(
      '--database-url <url>',
      'the PostgreSQL database whose key is replaced (FLOCK_DATABASE_URL of coordinators sharing it); every coordinator on it must be stopped',
    )
    .action(async (flags: { dataDir?: string; databaseUrl?: string }) => {
      const where =
        flags.dataDir !== undefined && flags.databaseUrl === undefined
          ? await rotateDataDirKey(flags.dataDir)
          : flags.databaseUrl !== undefined && flags.dataDir === undefined
            ? await rotateSharedKey(flags.databaseUrl)
            : null;
      if (where === null) {
        throw new Error(
          'say whose key to replace: --data-dir DIR for a coordinator on its embedded database, or --database-url URL for coordinators sharing PostgreSQL (not both)',
        );
      }
      print(`new signing key in ${where}.`);
      print('Every token issued so far (viewer, enrollment, device and session tokens) no longer works:');
      print('bound devices must enroll again with a new enrollment token (flockctl token create --role device). The admin token is unchanged.');
    });
}

async function rotateDataDirKey(dataDir: string): Promise<string> {
  const lock = lockDataDir(dataDir);
  try {
    return await rotateSigningKey(dataDir);
  } finally {
    lock.release();
  }
}

async function rotateSharedKey(databaseUrl: string): Promise<string> {
  const store = await openPostgresStore(databaseUrl);
  try {
    return await store.rotateSigningKey();
  } finally {
    await store.close();
  }
}
