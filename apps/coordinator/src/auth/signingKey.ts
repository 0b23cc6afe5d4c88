import { randomBytes } from 'node:crypto';
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
  /** The directory had no key and this one was made now. */
  generated: boolean;
  path: string;
}

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
    const key = randomBytes(KEY_BYTES);
    // 'wx': a key another process wrote meanwhile is never overwritten.
    await writeFile(path, keyText(key), { mode: 0o600, flag: 'wx' });
    return { key: new Uint8Array(key), generated: true, path };
  }
  const key = Buffer.from(text.trim(), 'base64url');
  if (key.byteLength < KEY_BYTES) throw new SigningKeyError(path, `is damaged (${key.byteLength} of at least ${KEY_BYTES} bytes)`);
  return { key: new Uint8Array(key), generated: false, path };
}

export async function loadSigningKey(dataDir: string): Promise<Uint8Array> {
  return (await openSigningKey(dataDir)).key;
}

/** Replaces the key with a new one; written beside it and renamed, so a crash leaves one whole key or the other. */
export async function rotateSigningKey(dataDir: string): Promise<string> {
  const path = signingKeyPath(dataDir);
  await mkdir(dataDir, { recursive: true });
  await writeFile(`${path}.new`, keyText(randomBytes(KEY_BYTES)), { mode: 0o600 });
  await rename(`${path}.new`, path);
  return path;
}

const keyText = (key: Buffer) => `${key.toString('base64url')}\n`;
