import { randomUUID } from 'node:crypto';
import type { TokenRecord } from '@flock/fl-core';
import { errors, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import { tokenMatches } from '../adminToken.ts';
import type { Credential, Principal, Role, TokenKind } from './principal.ts';
import type { TokenRepository } from '../storage/store.ts';

const ISSUER = 'flock';
const ALGORITHM = 'HS256';

/** How long each kind lives unless the minter says otherwise. */
export const DEFAULT_LIFETIME_S: Record<TokenKind, number> = {
  session: 12 * 3600,
  viewer: 30 * 86_400,
  enrollment: 7 * 86_400,
  device: 365 * 86_400,
};
const MAX_LIFETIME_S = 5 * 365 * 86_400;

const Claims = z.object({
  jti: z.string().min(1),
  kind: z.enum(['session', 'viewer', 'enrollment', 'device']),
  role: z.enum(['admin', 'viewer', 'device']),
  fed: z.string().optional(),
  sub: z.string().optional(),
});

/** `90s`, `30m`, `12h`, `7d` (or a bare number of seconds) -> seconds; null when unreadable or out of range. */
export function parseLifetime(text: string): number | null {
  const match = /^(\d+)\s*([smhd]?)$/.exec(text.trim());
  if (!match) return null;
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'];
  const seconds = Number(match[1]) * unit;
  return seconds >= 1 && seconds <= MAX_LIFETIME_S ? seconds : null;
}

export type MintRequest =
  | { kind: 'session'; role: 'admin' | 'viewer'; lifetimeS?: number }
  | { kind: 'viewer'; label?: string; lifetimeS?: number }
  | { kind: 'enrollment'; federationId: string; label?: string; lifetimeS?: number }
  | { kind: 'device'; federationId: string; deviceId: string; lifetimeS?: number };

export interface MintedToken {
  token: string;
  record: TokenRecord;
}

/**
 * Signs, checks and revokes the coordinator's tokens (JWT, HS256, with expiry and a `jti`). The
 * admin secret is the root credential: it is accepted as an admin bearer token as it is, and
 * exchanged for session tokens at login. Revoked ids are kept in memory (loaded at start, and
 * followed while other coordinators share the store), so checking a token costs no query.
 */
export class TokenService {
  private constructor(
    private readonly key: Uint8Array,
    private readonly store: TokenRepository,
    private readonly adminSecret: string,
    private readonly revoked: Set<string>,
    private readonly now: () => number,
  ) {}

  /** `key`: the store's signing key (DurableStore.signingKey). */
  static async open(store: TokenRepository, key: Uint8Array, adminSecret: string, now: () => number = Date.now): Promise<TokenService> {
    return new TokenService(key, store, adminSecret, new Set(await store.revokedIds()), now);
  }

  /** Null only for a device credential whose device id already holds a live one. */
  async mint(request: MintRequest): Promise<MintedToken | null> {
    const id = randomUUID();
    const issuedAt = Math.floor(this.now() / 1000);
    const expiresAt = issuedAt + (request.lifetimeS ?? DEFAULT_LIFETIME_S[request.kind]);
    const role: Role = request.kind === 'session' ? request.role : request.kind === 'viewer' ? 'viewer' : 'device';
    const federationId = request.kind === 'enrollment' || request.kind === 'device' ? request.federationId : null;
    const deviceId = request.kind === 'device' ? request.deviceId : null;
    const record = {
      id,
      kind: request.kind,
      role,
      federationId,
      deviceId,
      label: 'label' in request ? (request.label ?? null) : null,
      expiresAt: new Date(expiresAt * 1000).toISOString(),
    };
    if (!(await this.store.insert(record))) return null;
    const jwt = new SignJWT({ kind: request.kind, role, ...(federationId ? { fed: federationId } : {}) })
      .setProtectedHeader({ alg: ALGORITHM })
      .setIssuer(ISSUER)
      .setJti(id)
      .setIssuedAt(issuedAt)
      .setExpirationTime(expiresAt);
    if (deviceId) jwt.setSubject(deviceId);
    return { token: await jwt.sign(this.key), record: { ...record, createdAt: new Date(issuedAt * 1000).toISOString(), revokedAt: null } };
  }

  /** What a presented token is worth: nothing presented, a principal, or why it is refused. */
  async check(token: unknown): Promise<Credential> {
    if (token === undefined || token === null || token === '') return { kind: 'none' };
    if (typeof token !== 'string') return { kind: 'invalid', reason: 'the token must be a string' };
    if (tokenMatches(token, this.adminSecret)) return { kind: 'valid', principal: { role: 'admin', via: 'secret' } };
    let payload: unknown;
    try {
      // Every token we mint expires; one without `exp` was not minted by us, even when signed with our key.
      ({ payload } = await jwtVerify(token, this.key, { algorithms: [ALGORITHM], issuer: ISSUER, requiredClaims: ['exp'], currentDate: new Date(this.now()) }));
    } catch (err) {
      return { kind: 'invalid', reason: whyInvalid(err) };
    }
    const claims = Claims.safeParse(payload);
    if (!claims.success) return { kind: 'invalid', reason: 'token claims are not a Flock token' };
    if (this.revoked.has(claims.data.jti)) return { kind: 'invalid', reason: 'token has been revoked' };
    const principal = principalOf(claims.data);
    return principal ? { kind: 'valid', principal } : { kind: 'invalid', reason: 'token claims are inconsistent' };
  }

  /** The revoked token's record, or null when no token has that id. */
  async revoke(id: string): Promise<TokenRecord | null> {
    const record = await this.store.revoke(id);
    if (record) this.revoked.add(id);
    return record;
  }

  /**
   * Where other coordinators share the store, they revoke tokens too: the revoked ids are read again
   * every `intervalMs`, so a token revoked on one is refused here within that. Gives the stop function.
   */
  followRevocations(intervalMs: number, onError: (err: unknown) => void): () => void {
    let reading = false;
    const timer = setInterval(() => {
      if (reading) return;
      reading = true;
      this.store
        .revokedIds()
        .then((ids) => ids.forEach((id) => this.revoked.add(id)), onError)
        .finally(() => (reading = false));
    }, intervalMs);
    return () => clearInterval(timer);
  }

  listMinted(federationId?: string): Promise<TokenRecord[]> {
    return this.store.listMinted(federationId);
  }

  isBound(federationId: string, deviceId: string): Promise<boolean> {
    return this.store.isBound(federationId, deviceId);
  }
}

function principalOf(c: z.infer<typeof Claims>): Principal | null {
  switch (c.kind) {
    case 'session':
      return c.role === 'device' ? null : { role: c.role, via: 'token', kind: 'session', jti: c.jti };
    case 'viewer':
      return c.role === 'viewer' ? { role: 'viewer', via: 'token', kind: 'viewer', jti: c.jti } : null;
    case 'enrollment':
      return c.role === 'device' && c.fed ? { role: 'device', via: 'token', kind: 'enrollment', jti: c.jti, federationId: c.fed } : null;
    case 'device':
      return c.role === 'device' && c.fed && c.sub ? { role: 'device', via: 'token', kind: 'device', jti: c.jti, federationId: c.fed, deviceId: c.sub } : null;
    default: {
      const unknown: never = c.kind;
      return unknown;
    }
  }
}

function whyInvalid(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'token has expired';
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'token signature is not valid';
  if (err instanceof errors.JWTClaimValidationFailed && err.claim === 'exp' && err.reason === 'missing') return 'token has no expiry; ask for a new one';
  if (err instanceof errors.JWTClaimValidationFailed) return `token claim "${err.claim}" is not valid`;
  return 'token is not a valid admin secret or JWT';
}
