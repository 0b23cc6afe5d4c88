import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { resolve, join } from 'node:path';

const LOCK_FILE = 'coordinator.lock';
/** Directories this process holds: a lock naming our own PID that is not among them was left by an earlier process given the same PID (a restarted container). */
const heldHere = new Set<string>();

/** The data directory is held by a live process: nothing else may open its database. */
export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(`data dir ${dataDir} is in use by PID ${pid}: stop that coordinator first, or give this one another data dir (FLOCK_DATA_DIR)`);
    this.name = 'DataDirInUseError';
  }
}

export interface DataDirLock {
  release(): void;
}

/**
 * Takes the data directory for this process: a lock file holding our PID, created only if absent
 * (O_EXCL), so two coordinators never open one PGlite database (the second one damages it). A
 * lock left by a process that no longer runs is taken over. Released by `release()` or at exit.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      heldHere.add(dir);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
      const holder = lockHolder(dir);
      if (holder !== null) throw new DataDirInUseError(dir, holder);
      unlinkSync(path);
    }
  }
  const release = () => {
    process.off('exit', release);
    if (!heldHere.delete(dir)) return;
    if (readPid(path) === process.pid) unlinkSync(path);
  };
  process.on('exit', release);
  return { release };
}

/** The PID of the live process holding the directory, or null when it is free (no lock, or a stale one). */
function lockHolder(dir: string): number | null {
  const pid = readPid(join(dir, LOCK_FILE));
  if (pid === process.pid) return heldHere.has(dir) ? pid : null;
  return pid !== null && isRunning(pid) ? pid : null;
}

function readPid(path: string): number | null {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it runs, under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
