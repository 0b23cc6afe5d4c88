import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../storage/pglite/database.ts';
import { pgliteClient } from '../storage/pglite/pgliteClient.ts';
import { SqlTokens } from '../storage/sql/sqlTokens.ts';
import { openSigningKey } from './signingKey.ts';
import { parseLifetime, TokenService } from './tokenService.ts';

const SECRET = 'token-service-test-admin-secret';
let dataDir: string;
let db: PGlite;
let clock = Date.parse('2026-01-01T00:00:00Z');
const now = () => clock;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'flock-tokens-'));
  db = await openDatabase(dataDir);
});

afterAll(async () => {
  await db.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('TokenService', () => {
  it('accepts the admin secret as an admin and nothing as no credential', async () => {
    const tokens = await TokenService.open(new SqlTokens(pgliteClient(db)), (await openSigningKey(dataDir)).key, SECRET, now);
    expect(await tokens.check(SECRET)).toEqual({ kind: 'valid', principal: { role: 'admin', via: 'secret' } });
    expect(await tokens.check(undefined)).toEqual({ kind: 'none' });
    expect(await tokens.check('')).toEqual({ kind: 'none' });
    expect(await tokens.check(42)).toEqual({ kind: 'invalid', reason: 'the token must be a string' });
    expect(await tokens.check('not-the-secret')).toEqual({ kind: 'invalid', reason: 'token is not a valid admin secret or JWT' });
  });

  it('keeps its signing key owner-only in the data directory, so tokens outlive a restart', async () => {
    const before = await TokenService.open(new SqlTokens(pgliteClient(db)), (await openSigningKey(dataDir)).key, SECRET, now);
    const minted = await before.mint({ kind: 'viewer', label: 'Ana' });
    expect((await stat(join(dataDir, 'jwt-key'))).mode & 0o777).toBe(0o600);
    const after = await TokenService.open(new SqlTokens(pgliteClient(db)), (await openSigningKey(dataDir)).key, SECRET, now);
    expect(await after.check(minted!.token)).toMatchObject({ kind: 'valid', principal: { role: 'viewer', kind: 'viewer', jti: minted!.record.id } });
  });

  it('refuses a token past its expiry and a tampered one, saying which', async () => {
    const tokens = await TokenService.open(new SqlTokens(pgliteClient(db)), (await openSigningKey(dataDir)).key, SECRET, now);
    const minted = (await tokens.mint({ kind: 'session', role: 'admin', lifetimeS: 60 }))!;
    expect(await tokens.check(minted.token)).toMatchObject({ kind: 'valid', principal: { role: 'admin', kind: 'session' } });
    const [header, payload, signature] = minted.token.split('.') as [string, string, string];
    const flipped = `${header}.${payload}.${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`;
    expect(await tokens.check(flipped)).toEqual({ kind: 'invalid', reason: 'token signature is not valid' });
    const forgedPayload = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), role: 'admin', kind: 'viewer' })).toString(
      'base64url',
    );
    expect(await tokens.check(`${header}.${forgedPayload}.${signature}`)).toEqual({ kind: 'invalid', reason: 'token signature is not valid' });
    clock += 61_000;
    expect(await tokens.check(minted.token)).toEqual({ kind: 'invalid', reason: 'token has expired' });
  });

  it('refuses a token of every kind that is signed with its key but carries no expiry', async () => {
    const tokens = await TokenService.open(new SqlTokens(pgliteClient(db)), (await openSigningKey(dataDir)).key, SECRET, now);
    const { key } = await openSigningKey(dataDir);
    const claims = [
      { kind: 'session', role: 'admin' },
      { kind: 'viewer', role: 'viewer' },
      { kind: 'enrollment', role: 'device', fed: 'fed-x' },
      { kind: 'device', role: 'device', fed: 'fed-x', sub: 'device-0001' },
    ];
    for (const claim of claims) {
      const forever = await new SignJWT(claim)
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer('flock')
        .setJti(`no-exp-${claim.kind}`)
        .setIssuedAt(Math.floor(clock / 1000))
        .sign(key);
      expect(await tokens.check(forever), claim.kind).toEqual({ kind: 'invalid', reason: 'token has no expiry; ask for a new one' });
    }
  });

  it('refuses a revoked token from then on, also after a restart, and lists what admins minted', async () => {
    const tokens = await TokenService.open(new SqlTokens(pgliteClient(db)), (await openSigningKey(dataDir)).key, SECRET, now);
    const enrollment = (await tokens.mint({ kind: 'enrollment', federationId: 'fed-x', label: 'lab' }))!;
    expect(await tokens.check(enrollment.token)).toMatchObject({ kind: 'valid', principal: { role: 'device', kind: 'enrollment', federationId: 'fed-x' } });
    expect((await tokens.listMinted('fed-x')).map((t) => [t.kind, t.label, t.revokedAt])).toEqual([['enrollment', 'lab', null]]);
    expect(await tokens.revoke(enrollment.record.id)).toMatchObject({ id: enrollment.record.id, revokedAt: expect.any(String) });
    expect(await tokens.check(enrollment.token)).toEqual({ kind: 'invalid', reason: 'token has been revoked' });
    expect(await (await TokenService.open(new SqlTokens(pgliteClient(db)), (await openSigningKey(dataDir)).key, SECRET, now)).check(enrollment.token)).toEqual({
      kind: 'invalid',
      reason: 'token has been revoked',
    });
    expect(await tokens.revoke('00000000-0000-4000-8000-000000000000')).toBeNull();
  });

  it('binds a device id to one live credential per federation; revoking it frees the id', async () => {
    const tokens = await TokenService.open(new SqlTokens(pgliteClient(db)), (await openSigningKey(dataDir)).key, SECRET, now);
    const first = (await tokens.mint({ kind: 'device', federationId: 'fed-x', deviceId: 'device-0001' }))!;
    expect(await tokens.check(first.token)).toMatchObject({ kind: 'valid', principal: { kind: 'device', deviceId: 'device-0001', federationId: 'fed-x' } });
    expect(await tokens.isBound('fed-x', 'device-0001')).toBe(true);
    expect(await tokens.isBound('fed-y', 'device-0001')).toBe(false);
    expect(await tokens.mint({ kind: 'device', federationId: 'fed-x', deviceId: 'device-0001' })).toBeNull();
    await tokens.revoke(first.record.id);
    expect(await tokens.isBound('fed-x', 'device-0001')).toBe(false);
    expect(await tokens.mint({ kind: 'device', federationId: 'fed-x', deviceId: 'device-0001' })).not.toBeNull();
  });

  it('stores no token itself, only its record', async () => {
    const tokens = await TokenService.open(new SqlTokens(pgliteClient(db)), (await openSigningKey(dataDir)).key, SECRET, now);
    const minted = (await tokens.mint({ kind: 'viewer' }))!;
    const dump = JSON.stringify((await db.query('select * from auth_tokens')).rows);
    expect(dump).not.toContain(minted.token.split('.')[2]);
    expect(await readFile(join(dataDir, 'jwt-key'), 'utf8')).not.toContain(minted.token);
  });
});

describe('parseLifetime', () => {
  it('reads seconds, minutes, hours and days, and refuses the rest', () => {
    expect(['90', '90s', '30m', '12h', '7d'].map(parseLifetime)).toEqual([90, 90, 1800, 43_200, 604_800]);
    expect(['', '0s', '7w', '-1d', '1.5h', '6000d'].map(parseLifetime)).toEqual([null, null, null, null, null, null]);
  });
});
