import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The token from the environment, else the one kept in the data directory, else a new one that
 * is stored (owner-only) and printed once, so the operator sees it exactly at first start.
 */
export async function resolveAdminToken(dataDir: string, fromEnv: string | undefined): Promise<string> {
  if (fromEnv) return fromEnv;
  const path = join(dataDir, 'admin-token');
  try {
    const kept = (await readFile(path, 'utf8')).trim();
    if (kept) return kept;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(dataDir, { recursive: true });
  const token = randomBytes(24).toString('base64url');
  await writeFile(path, `${token}\n`, { mode: 0o600 });
  process.stdout.write(`Admin token: ${token}  (kept in ${path})\n`);
  return token;
}

/** Constant-time comparison; hashing first makes the lengths equal without leaking them. */
export function tokenMatches(candidate: unknown, token: string): boolean {
  if (typeof candidate !== 'string') return false;
  const a = createHash('sha256').update(candidate).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}
