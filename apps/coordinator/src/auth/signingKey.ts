import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The HS256 key every token is signed with: generated once and kept owner-only in the data
 * directory (beside admin-token), so tokens outlive a restart and die with the data.
 */
export async function loadSigningKey(dataDir: string): Promise<Uint8Array> {
  const path = join(dataDir, 'jwt-key');
  try {
    const kept = Buffer.from((await readFile(path, 'utf8')).trim(), 'base64url');
    if (kept.byteLength >= 32) return new Uint8Array(kept);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(dataDir, { recursive: true });
  const key = randomBytes(32);
  await writeFile(path, `${key.toString('base64url')}\n`, { mode: 0o600 });
  return new Uint8Array(key);
}
