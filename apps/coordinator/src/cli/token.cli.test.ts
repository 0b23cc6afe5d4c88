import { describe, expect, it } from 'vitest';
import { runInProcess } from '../testing/inProcessCommand.ts';
import { useTestCoordinator } from '../testing/testCoordinator.ts';
import { addTokenCommand } from './tokenCommand.ts';

const ADMIN = 'token-cli-test-admin-token';
const env = useTestCoordinator('flock-token-cli-', ADMIN);

/** `flockctl token ...` in-process against the test's coordinator, real REST. */
const token = (adminToken: string, ...args: string[]) =>
  runInProcess(addTokenCommand, ['token', ...args, '--url', env.coordinator.url, '--admin-token', adminToken]);

const login = async (secret: string) =>
  (
    await fetch(`${env.coordinator.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: secret }),
    })
  ).status;

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
    expect(lines[2]).toBe(`join link: ${env.coordinator.url}/?federation=demo&token=${lines[1]}`);
    await expect(token(ADMIN, 'create', '--role', 'device')).rejects.toThrow(/--federation/);
    await expect(token(ADMIN, 'create', '--role', 'device', '--federation', 'nope')).rejects.toThrow(/HTTP 404: unknown federation "nope"/);
    await expect(token(ADMIN, 'create', '--role', 'viewer', '--expires', 'soon')).rejects.toThrow(/HTTP 400: .*lifetime like 90s/);
  });

  it('refuses without the admin secret, with the reason', async () => {
    await expect(token('not-the-admin-secret', 'list')).rejects.toThrow(/HTTP 401: token is not a valid admin secret or JWT/);
  });
});
