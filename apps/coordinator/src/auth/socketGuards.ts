import type { AdminToCoordinatorEvents } from '@flock/fl-core';
import type { Namespace, Socket } from 'socket.io';
import { answerer, type ErrorEmitter } from '../transport/socketBoundary.ts';
import { refusalFor, type Credential, type RequiredRole } from './principal.ts';
import type { SecurityLimits } from './securityLimits.ts';
import { TokenBucket } from './tokenBucket.ts';
import type { TokenService } from './tokenService.ts';

/** The role each dashboard event needs; typed by the event map, so a new event cannot go undeclared. */
export const ADMIN_EVENT_ROLES: Record<keyof AdminToCoordinatorEvents, RequiredRole> = {
  subscribe: 'viewer',
};

/** Where a connection keeps what its handshake token was worth. */
export interface GuardedSocketData {
  credential?: Credential;
}

type AnySocket = Socket<Record<string, (...args: never[]) => void>, Record<string, (...args: never[]) => void>, Record<string, never>, GuardedSocketData>;

/**
 * Device connections (default namespace): a token in `auth.token` must check out and be a device
 * token (enrollment or device credential); none is fine (open federations), and hello decides
 * the rest (DeviceAdmission). Each connection's events are rate-limited.
 */
export function guardDeviceConnections(nsp: Namespace, tokens: TokenService, limits: SecurityLimits): void {
  nsp.use((socket, next) => {
    tokens.check(handshakeToken(socket)).then((credential) => {
      const refusal = connectionRefusal(credential, 'device');
      if (refusal) return next(new Error(`unauthorized: ${refusal}`));
      (socket as AnySocket).data.credential = credential;
      limitEvents(socket as AnySocket, limits, () => null);
      next();
    }, next);
  });
}

/** Dashboard connections (`/admin`): an admin or viewer token; each event then needs its ADMIN_EVENT_ROLES role (undeclared: admin). */
export function guardAdminConnections(nsp: Namespace, tokens: TokenService, limits: SecurityLimits): void {
  nsp.use((socket, next) => {
    tokens.check(handshakeToken(socket)).then((credential) => {
      const refusal = credential.kind === 'none' ? 'an admin or viewer token is required' : connectionRefusal(credential, 'viewer');
      if (refusal) return next(new Error(`unauthorized: ${refusal}`));
      (socket as AnySocket).data.credential = credential;
      limitEvents(socket as AnySocket, limits, (event) => {
        const needed = (ADMIN_EVENT_ROLES as Record<string, RequiredRole | undefined>)[event] ?? 'admin';
        return refusalFor(credential, needed)?.reason ?? null;
      });
      next();
    }, next);
  });
}

function handshakeToken(socket: Socket): unknown {
  return (socket.handshake.auth as Record<string, unknown> | undefined)?.token;
}

function connectionRefusal(credential: Credential, needed: 'device' | 'viewer'): string | null {
  if (credential.kind === 'invalid') return credential.reason;
  if (credential.kind === 'none') return null;
  return refusalFor(credential, needed)?.reason ?? null;
}

/** Refuses an event over the connection's rate or its role, answering its ack (else 'protocol:error') with the reason. */
function limitEvents(socket: AnySocket, limits: SecurityLimits, roleRefusal: (event: string) => string | null): void {
  const bucket = new TokenBucket(limits.socketEventBurst, limits.socketEventsPerSecond);
  socket.use((packet, next) => {
    const [event, ...args] = packet as [unknown, ...unknown[]];
    const name = String(event);
    const reason = bucket.take()
      ? roleRefusal(name)
      : `too many events on this connection; at most ${limits.socketEventsPerSecond} a second (FLOCK_SOCKET_EVENTS_PER_SECOND)`;
    if (reason === null) return next();
    answerer(socket as unknown as ErrorEmitter, name, args)({ ok: false, reason });
  });
}
