import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCoordinator, type RunningCoordinator } from '../coordinator.ts';
import { addTokenCommand } from './tokenCommand.ts';

const ADMIN = 'token-cli-test-admin-token';
let dir: string;
let coordinator: RunningCoordinator;

/** Runs `flockctl token ...` in-process: the command's own code, commander's parsing, real REST. */
async function token(adminToken: string, ...args: string[]): Promise<string[]> {
  const lines: string[] = [];
  const program = new Command('flockctl').exitOverride();
  addTokenCommand(program, (line) => lines.push(line));
  await program.parseAsync(['node', 'flockctl', 'token', ...args, '--url', coordinator.url, '--admin-token', adminToken]);
  return lines;
}

const login = async (secret: string) =>
  (await fetch(`${coordinator.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: secret }) })).status;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flock-token-cli-'));
  coordinator = await startCoordinator({ port: 0, host: '127.0.0.1', dataDir: join(dir, 'data'), adminToken: ADMIN, logLevel: 'silent' });
}, 60_000);

afterAll(async () => {
  await coordinator?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('flockctl token', () => {
  it('mints a viewer token that logs in, lists it, and revokes it so that it no longer does', async () => {
    const [line, viewer] = await token(ADMIN, 'create', '--role', 'viewer', '--expires', '7d', '--label', 'auditor');
    const id = line!.split(' ')[0]!;
    expect(line).toMatch(/^[0-9a-f-]{36} {2}viewer "auditor" {2}expires /);
    expect(await login(viewer!)).toBe(200);
    expect((await token(ADMIN, 'list')).join('\n')).toContain(id);
    expect((await token(ADMIN, 'revoke', id))[0]).toMatch(new RegExp(`^revoked ${id} {2}viewer "auditor" {2}revoked `));
    expect(await login(viewer!)).toBe(401);
  });

  it('mints an enrollment token for one federation with its join link', async () => {
    const lines = await token(ADMIN, 'create', '--role', 'device', '--federation', 'demo');
    expect(lines[0]).toMatch(/ {2}enrollment for demo {2}expires /);
    expect(lines[2]).toBe(`join link: ${coordinator.url}/?federation=demo&token=${lines[1]}`);
    await expect(token(ADMIN, 'create', '--role', 'device')).rejects.toThrow(/--federation/);
    await expect(token(ADMIN, 'create', '--role', 'device', '--federation', 'nope')).rejects.toThrow(/HTTP 404: unknown federation "nope"/);
    await expect(token(ADMIN, 'create', '--role', 'viewer', '--expires', 'soon')).rejects.toThrow(/HTTP 400: .*lifetime like 90s/);
  });

  it('refuses without the admin secret, with the reason', async () => {
    await expect(token('not-the-admin-secret', 'list')).rejects.toThrow(/HTTP 401: token is not a valid admin secret or JWT/);
  });
});
