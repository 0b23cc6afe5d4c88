import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { openDatabase } from './database.ts';

it('serves from 16 MB of shared buffers, not PostgreSQL default 128 MB that would sit idle in memory', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'flock-database-'));
  const db = await openDatabase(dir);
  try {
    expect((await db.query<{ shared_buffers: string }>('show shared_buffers')).rows[0]?.shared_buffers).toBe('16MB');
  } finally {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  }
});
