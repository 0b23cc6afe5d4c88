import { FederationId, zodReason } from '@flock/fl-core';
import express, { type Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import { z } from 'zod';
import { EmptyBody } from '../http/emptyBody.ts';
import { allow, credentialOf } from './guard.ts';
import { parseLifetime, type TokenService } from './tokenService.ts';

export interface AuthApiDeps {
  tokens: TokenService;
  federationExists(id: string): boolean;
  /** Login attempts per IP per minute (guessing the admin secret stays slow). */
  loginsPerMinute: number;
}

const Lifetime = z
  .string()
  .transform((text, ctx) => {
    const seconds = parseLifetime(text);
    if (seconds === null) ctx.addIssue({ code: 'custom', message: 'expected a lifetime like 90s, 30m, 12h or 7d (at most 5 years)' });
    return seconds ?? 0;
  })
  .optional();
const LoginBody = z.object({ token: z.string().min(1).max(4_096) }).strict();
const CreateTokenBody = z.discriminatedUnion('role', [
  z.object({ role: z.literal('viewer'), expiresIn: Lifetime, label: z.string().max(200).optional() }).strict(),
  z.object({ role: z.literal('device'), federationId: FederationId, expiresIn: Lifetime, label: z.string().max(200).optional() }).strict(),
]);
const TokenParams = z.object({ tokenId: z.string().uuid('a token id is a UUID') });
const ListQuery = z.object({ federation: FederationId.optional() }).strict();

function refuse(res: Response, status: number, reason: string): void {
  res.status(status).json({ ok: false, reason });
}

/**
 * Logging in and minting tokens, under /api. The admin secret or a viewer token is exchanged for a
 * session token (the dashboard keeps it); admins mint viewer and per-federation enrollment tokens,
 * list and revoke them.
 */
export function authApi(deps: AuthApiDeps): express.Router {
  const api = express.Router();
  const loginLimit = rateLimit({
    windowMs: 60_000,
    limit: deps.loginsPerMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    handler: (_req, res) => refuse(res, 429, `too many login attempts from this address; at most ${deps.loginsPerMinute} a minute`),
  });

  api.post('/auth/login', allow('public'), loginLimit, express.json({ limit: '8kb' }), async (req, res) => {
    const body = LoginBody.safeParse(req.body);
    if (!body.success) return refuse(res, 400, `login: ${zodReason(body.error)}`);
    const credential = await deps.tokens.check(body.data.token);
    if (credential.kind === 'none') return refuse(res, 401, 'send the admin secret or a viewer token');
    if (credential.kind === 'invalid') return refuse(res, 401, credential.reason);
    const { principal } = credential;
    if (principal.role === 'device' || (principal.via === 'token' && principal.kind === 'session')) {
      return refuse(res, 403, 'log in with the admin secret or a viewer token');
    }
    const session = await deps.tokens.mint({ kind: 'session', role: principal.role });
    if (!session) throw new Error('a session token could not be recorded');
    res.json({ token: session.token, role: principal.role, expiresAt: session.record.expiresAt });
  });

  /** Who the presented token says the caller is. */
  api.get('/auth/me', allow('viewer'), (_req, res) => {
    const credential = credentialOf(res);
    if (credential.kind !== 'valid') return refuse(res, 401, 'no valid token');
    res.json({ role: credential.principal.role });
  });

  api.get('/tokens', allow('admin'), async (req, res) => {
    const query = ListQuery.safeParse(req.query);
    if (!query.success) return refuse(res, 400, `query: ${zodReason(query.error)}`);
    res.json(await deps.tokens.listMinted(query.data.federation));
  });

  api.post('/tokens', allow('admin'), express.json({ limit: '8kb' }), async (req, res) => {
    const body = CreateTokenBody.safeParse(req.body);
    if (!body.success) return refuse(res, 400, `token: ${zodReason(body.error)}`);
    const b = body.data;
    const lifetime = b.expiresIn === undefined ? {} : { lifetimeS: b.expiresIn };
    const label = b.label === undefined ? {} : { label: b.label };
    if (b.role === 'device' && !deps.federationExists(b.federationId)) return refuse(res, 404, `unknown federation "${b.federationId}"`);
    const minted = await deps.tokens.mint(
      b.role === 'viewer' ? { kind: 'viewer', ...label, ...lifetime } : { kind: 'enrollment', federationId: b.federationId, ...label, ...lifetime },
    );
    if (!minted) throw new Error('a token could not be recorded');
    res.status(201).json({ token: minted.token, ...minted.record });
  });

  api.delete('/tokens/:tokenId', allow('admin'), express.json({ limit: '8kb' }), async (req, res) => {
    const body = EmptyBody.safeParse(req.body);
    if (!body.success) return refuse(res, 400, `body: ${zodReason(body.error)}`);
    const params = TokenParams.safeParse(req.params);
    if (!params.success) return refuse(res, 400, zodReason(params.error));
    const record = await deps.tokens.revoke(params.data.tokenId);
    if (!record) return refuse(res, 404, `no token with id ${params.data.tokenId}`);
    res.json(record);
  });

  return api;
}
