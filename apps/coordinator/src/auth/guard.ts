import type { JoinPolicy } from '@flock/fl-core';
import type { Request, RequestHandler, Response } from 'express';
import { refusalFor, type Credential, type Refusal, type RequiredRole, type RouteRole } from './principal.ts';
import type { TokenService } from './tokenService.ts';

/** Marks a guard handler with the role it demands, so the route table can be read back (routeTable.ts). */
export const REQUIRED_ROLE = Symbol('flock.requiredRole');

export interface AllowOptions {
  /** The path parameter naming the federation acted on: a device token must be for that one. */
  federationParam?: string;
  /** The path parameter naming a device: only that device's own credential passes. */
  deviceParam?: string;
}

/** Reads the bearer token once per request, before any route: `allow` then decides per route. */
export function authenticate(tokens: TokenService): RequestHandler {
  return (req, res, next) => {
    const header = req.get('authorization');
    const presented = header === undefined ? undefined : /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
    if (header !== undefined && presented === undefined) {
      setCredential(res, { kind: 'invalid', reason: 'send the token as "Authorization: Bearer <token>"' });
      return next();
    }
    tokens.check(presented).then((credential) => {
      setCredential(res, credential);
      next();
    }, next);
  };
}

/**
 * The one guard every route is registered with, first: `api.get(path, allow('viewer'), ...)`.
 * 401 when the caller is unknown, 403 when known but not allowed, with the reason in `{ok, reason}`.
 */
export function allow(role: RequiredRole, options: AllowOptions = {}): RequestHandler {
  const guard: RequestHandler = (req, res, next) => {
    const refusal = refusalOf(req, res, role, options);
    if (refusal) {
      res.status(refusal.status).json({ ok: false, reason: refusal.reason });
      return;
    }
    next();
  };
  return Object.assign(guard, { [REQUIRED_ROLE]: role });
}

/**
 * The guard of a federation's model routes (`member`): anyone may read the model of an open-join
 * federation, as anyone may join it; an enrollment-only one's only with a viewer or admin token or a
 * device token of that federation. An unknown federation passes, for the route to answer 404.
 */
export function allowMembers(joinOf: (federationId: string) => JoinPolicy | undefined, federationParam = 'id'): RequestHandler {
  const guard: RequestHandler = (req, res, next) => {
    const federationId = String(req.params[federationParam]);
    if (joinOf(federationId) !== 'enrollment') return next();
    const credential = credentialOf(res);
    const refusal = memberRefusal(credential, federationId);
    if (refusal) {
      res.status(refusal.status).json({ ok: false, reason: refusal.reason });
      return;
    }
    next();
  };
  return Object.assign(guard, { [REQUIRED_ROLE]: 'member' satisfies RouteRole });
}

function memberRefusal(credential: Credential, federationId: string): Refusal | null {
  if (credential.kind === 'none') {
    return { status: 401, reason: `federation "${federationId}" is enrollment-only: this needs a device token of it or a viewer token` };
  }
  if (credential.kind === 'valid' && credential.principal.role !== 'device') return refusalFor(credential, 'viewer');
  return refusalFor(credential, 'device', federationId);
}

/** The credential `authenticate` found for this request (none when it did not run). */
export function credentialOf(res: Response): Credential {
  return (res.locals.credential as Credential | undefined) ?? { kind: 'none' };
}

function setCredential(res: Response, credential: Credential): void {
  res.locals.credential = credential;
}

function refusalOf(req: Request, res: Response, role: RequiredRole, options: AllowOptions): Refusal | null {
  const credential = credentialOf(res);
  const param = (name: string | undefined) => (name === undefined ? undefined : String(req.params[name]));
  const refusal = refusalFor(credential, role, param(options.federationParam));
  if (refusal || credential.kind !== 'valid' || options.deviceParam === undefined) return refusal;
  const { principal } = credential;
  if (principal.role !== 'device') return null;
  if (principal.kind !== 'device') return { status: 403, reason: 'an enrollment token only joins: say hello first and use the device credential it returns' };
  const deviceId = param(options.deviceParam);
  if (principal.deviceId !== deviceId) return { status: 403, reason: `the credential presented belongs to device ${principal.deviceId}, not ${deviceId}` };
  return null;
}
