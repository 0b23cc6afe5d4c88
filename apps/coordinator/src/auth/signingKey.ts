import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const KEY_FILE = 'jwt-key';
const KEY_BYTES = 32;

/** The key file exists but holds no usable key: replacing it would end every token, so nothing starts. */
export class SigningKeyError extends Error {
  constructor(path: string, problem: string) {
    super(
      `the signing key ${path} ${problem}. Every token was signed with it, so it is not replaced silently: ` +
        `restore the file from a backup, or run \`flockctl rotate-key --data-dir DIR\` to make a new key ` +
        `(every token issued so far then stops working and devices must enroll again)`,
    );
    this.name = 'SigningKeyError';
  }
}

export interface SigningKey {
  key: Uint8Array;
  /** There was no key and this one was made now. */
  generated: boolean;
  /** Where it is kept, for people: a file, or the database every coordinator on it shares. */
  where: string;
}

/** A new random key, as long as every key must be. */
export const newSigningKey = (): Uint8Array => new Uint8Array(randomBytes(KEY_BYTES));

export const signingKeyPath = (dataDir: string) => join(dataDir, KEY_FILE);

/**
 * The HS256 key every token is signed with: generated once, when the data directory has none, and
 * kept owner-only beside admin-token, so tokens outlive a restart and die with the data. A key file
 * that is there but unreadable or damaged is refused, never replaced.
 */
export async function openSigningKey(dataDir: string): Promise<SigningKey> {
  const path = signingKeyPath(dataDir);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') throw new SigningKeyError(path, `cannot be read (${code ?? String(err)})`);
    await mkdir(dataDir, { recursive: true });
    const key = newSigningKey();
    // 'wx': a key another process wrote meanwhile is never overwritten.
    await writeFile(path, keyText(key), { mode: 0o600, flag: 'wx' });
    return { key, generated: true, where: path };
  }
  const key = Buffer.from(text.trim(), 'base64url');
  if (key.byteLength < KEY_BYTES) throw new SigningKeyError(path, `is damaged (${key.byteLength} of at least ${KEY_BYTES} bytes)`);
  return { key: new Uint8Array(key), generated: false, where: path };
}

/**
 * Replaces the data dir's key with a new one; written beside it and renamed, so a crash leaves one
 * whole key or the other. A dir without a key is refused: its coordinator keeps none there (it runs on PostgreSQL, or never ran).
 */
export async function rotateSigningKey(dataDir: string): Promise<string> {
  const path = signingKeyPath(dataDir);
  if (!existsSync(path)) {
    throw new Error(
      `${dataDir} holds no signing key (${KEY_FILE}), so there is none to replace there. Coordinators that keep their data in PostgreSQL ` +
        'keep their key in the database: run `flockctl rotate-key --database-url URL` (their FLOCK_DATABASE_URL) instead',
    );
  }
  await writeFile(`${path}.new`, keyText(newSigningKey()), { mode: 0o600 });
  await rename(`${path}.new`, path);
  return path;
}

const keyText = (key: Uint8Array) => `${Buffer.from(key).toString('base64url')}\n`;
