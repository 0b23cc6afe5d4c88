import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSigningKey, rotateSigningKey } from './signingKey.ts';

const loadSigningKey = async (dataDir: string) => (await openSigningKey(dataDir)).key;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flock-key-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the signing key', () => {
  it('is generated when the data dir has none, and kept across loads', async () => {
    const first = await loadSigningKey(dir);
    expect(first.byteLength).toBe(32);
    expect(await loadSigningKey(dir)).toEqual(first);
  });

  it('is never replaced when the file is truncated: loading refuses with the reason and the way out', async () => {
    await loadSigningKey(dir);
    const path = join(dir, 'jwt-key');
    const truncated = (await readFile(path, 'utf8')).slice(0, 10);
    await writeFile(path, truncated);
    await expect(loadSigningKey(dir)).rejects.toThrow(/jwt-key is damaged .*restore the file from a backup, or run `flockctl rotate-key/);
    expect(await readFile(path, 'utf8')).toBe(truncated);
  });

  it('is refused, not replaced, when the file cannot be read', async () => {
    const path = join(dir, 'jwt-key');
    await mkdir(path);
    await expect(loadSigningKey(dir)).rejects.toThrow(/jwt-key cannot be read \(EISDIR\)/);
  });

  it('rotates to a new key on request', async () => {
    const before = await loadSigningKey(dir);
    await rotateSigningKey(dir);
    const after = await loadSigningKey(dir);
    expect(after.byteLength).toBe(32);
    expect(after).not.toEqual(before);
  });

  it('refuses to rotate in a data dir that holds no key, and points to the database of coordinators on PostgreSQL', async () => {
    await expect(rotateSigningKey(dir)).rejects.toThrow(/holds no signing key \(jwt-key\).*flockctl rotate-key --database-url URL/);
    await expect(readFile(join(dir, 'jwt-key'))).rejects.toThrow(/ENOENT/);
  });
});
