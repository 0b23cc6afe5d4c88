import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FederationSummary } from '@flock/fl-core';
import { startCoordinator, type RunningCoordinator } from '../coordinator.ts';
import { runInProcess } from '../testing/inProcessCommand.ts';
import { addDataDirCommands } from './dataDirCommand.ts';

const ADMIN = 'datadir-cli-test-admin-token';
let dir: string;
let coordinator: RunningCoordinator;

const flock = (...args: string[]) => runInProcess(addDataDirCommands, args);

const start = (dataDir: string) => startCoordinator({ port: 0, host: '127.0.0.1', dataDir, adminToken: ADMIN, logLevel: 'silent' });

async function api<T>(c: RunningCoordinator, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${c.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  expect(response.status, await response.clone().text()).toBeLessThan(300);
  return (await response.json()) as T;
}

const federationIds = async (c: RunningCoordinator) => (await api<FederationSummary[]>(c, '/api/federations')).map((f) => f.config.id);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flock-datadir-cli-'));
  coordinator = await start(join(dir, 'data'));
}, 60_000);

afterAll(async () => {
  await coordinator?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('flockctl backup and flockctl restore', () => {
  it('back up a running coordinator; a coordinator started on the restored dir has its federation and honours its tokens', async () => {
    const [demo] = await api<FederationSummary[]>(coordinator, '/api/federations');
    await api(coordinator, '/api/federations', { ...demo!.config, id: 'kept', name: 'kept by the backup' });
    const viewer = await api<{ token: string }>(coordinator, '/api/tokens', { role: 'viewer' });
    const file = join(dir, 'flock.backup');

    expect((await flock('backup', '--out', file, '--url', coordinator.url, '--admin-token', ADMIN))[0]).toMatch(
      /^backup written to .*flock\.backup \(\d+\.\d MiB\)/,
    );
    await expect(flock('backup', '--out', file, '--url', coordinator.url, '--admin-token', ADMIN)).rejects.toThrow(/already exists: choose another --out/);

    const restored = join(dir, 'restored');
    expect((await flock('restore', '--data-dir', restored, file))[0]).toMatch(/^restored the backup of .* into .*restored; start the coordinator/);
    expect((await readFile(join(restored, 'jwt-key'), 'utf8')).trim()).toBe((await readFile(join(dir, 'data', 'jwt-key'), 'utf8')).trim());
    const second = await start(restored);
    try {
      expect(await federationIds(second)).toContain('kept');
      const login = await fetch(`${second.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: viewer.token }),
      });
      expect(login.status).toBe(200);
    } finally {
      await second.close();
    }
    await expect(flock('restore', '--data-dir', restored, file)).rejects.toThrow(/already holds a database: restore into an empty data dir/);
  }, 120_000);

  it('restore refuses a data dir a running coordinator holds, and a file that is not a backup', async () => {
    const file = join(dir, 'flock.backup');
    await expect(flock('restore', '--data-dir', join(dir, 'data'), file)).rejects.toThrow(
      `data dir ${resolve(dir, 'data')} is in use by PID ${process.pid}: stop that coordinator first`,
    );
    await expect(flock('restore', '--data-dir', join(dir, 'other'), join(dir, 'data', 'jwt-key'))).rejects.toThrow(/is not a Flock backup/);
  });

  it('backup refuses without the admin secret, with the reason', async () => {
    await expect(flock('backup', '--out', join(dir, 'nope'), '--url', coordinator.url, '--admin-token', 'not-the-admin-secret')).rejects.toThrow(/HTTP 401: /);
  });
});

describe('flockctl rotate-key', () => {
  it('refuses while a coordinator holds the dir, and otherwise replaces the key and says what that ends', async () => {
    await expect(flock('rotate-key', '--data-dir', join(dir, 'data'))).rejects.toThrow(/is in use by PID/);
    const restored = join(dir, 'restored');
    const before = await readFile(join(restored, 'jwt-key'), 'utf8');
    const lines = await flock('rotate-key', '--data-dir', restored);
    expect(lines.join('\n')).toMatch(/Every token issued so far .* no longer works:\nbound devices must enroll again/);
    expect(await readFile(join(restored, 'jwt-key'), 'utf8')).not.toBe(before);
  });

  it('asks whose key to replace when given neither a data dir nor a database, or both', async () => {
    const whose = /^say whose key to replace: --data-dir DIR .* or --database-url URL /;
    await expect(flock('rotate-key')).rejects.toThrow(whose);
    await expect(flock('rotate-key', '--data-dir', join(dir, 'restored'), '--database-url', 'postgres://localhost/flock')).rejects.toThrow(whose);
  });
});
