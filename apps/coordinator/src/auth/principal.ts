import type { Role } from '@flock/fl-core';

export type { Role, TokenKind } from '@flock/fl-core';
/** What a route or event needs: a role, or nothing (`public`). */
export type RequiredRole = Role | 'public';
/**
 * What a route may need: a role, or `member`: public while the federation it names is open-join,
 * else its own devices, viewers and admins (a closed federation's model is not for everyone).
 */
export type RouteRole = RequiredRole | 'member';

/** Who made a request, once its token checked out. */
export type Principal =
  | { role: 'admin'; via: 'secret' }
  | { role: 'admin' | 'viewer'; via: 'token'; kind: 'session' | 'viewer'; jti: string }
  | { role: 'device'; via: 'token'; kind: 'enrollment'; jti: string; federationId: string }
  | { role: 'device'; via: 'token'; kind: 'device'; jti: string; federationId: string; deviceId: string };

/** A refusal: 401 when the caller is unknown (no, bad, expired or revoked token), 403 when known but not allowed. */
export interface Refusal {
  status: 401 | 403;
  reason: string;
}

/** What the caller presented: nothing, a token that checked out, or one that did not (and why). */
export type Credential = { kind: 'none' } | { kind: 'valid'; principal: Principal } | { kind: 'invalid'; reason: string };

/** Admin is everything a viewer is; a device is neither. */
function grants(role: Role, needed: Role): boolean {
  return role === needed || (role === 'admin' && needed === 'viewer');
}

/**
 * Whether `credential` may do what needs `needed`, for `federationId` when the act names one (a
 * device token is good for its own federation only). Null when allowed, else the refusal.
 */
export function refusalFor(credential: Credential, needed: RequiredRole, federationId?: string): Refusal | null {
  if (needed === 'public') return null;
  switch (credential.kind) {
    case 'none':
      return { status: 401, reason: `this needs a ${needed} token: send "Authorization: Bearer <token>"` };
    case 'invalid':
      return { status: 401, reason: credential.reason };
    case 'valid': {
      const { principal } = credential;
      if (!grants(principal.role, needed))
        return { status: 403, reason: `this needs the ${needed} role; the token presented is ${article(principal.role)} ${principal.role} token` };
      if (principal.role === 'device' && federationId !== undefined && principal.federationId !== federationId) {
        return { status: 403, reason: `the token presented is for federation "${principal.federationId}", not "${federationId}"` };
      }
      return null;
    }
    default: {
      const unknown: never = credential;
      return unknown;
    }
  }
}

function article(role: Role): string {
  return role === 'admin' ? 'an' : 'a';
}
