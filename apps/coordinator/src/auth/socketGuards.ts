import type { IncomingMessage } from 'node:http';
import type { AdminToCoordinatorEvents } from '@flock/fl-core';
import proxyAddr from 'proxy-addr';
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

/** Open Socket.IO connections per IP address, both namespaces together. */
export class ConnectionsPerIp {
  private readonly open = new Map<string, number>();
  private readonly trusted: ReturnType<typeof proxyAddr.compile>;

  /** `trustedProxies`: the load balancers whose X-Forwarded-For names the client (FLOCK_TRUSTED_PROXIES). */
  constructor(
    private readonly max: number,
    trustedProxies: string[] = [],
  ) {
    this.trusted = proxyAddr.compile(trustedProxies);
  }

  /** Whose connection this is: the peer's address, or the client's a trusted balancer forwarded. */
  clientOf(request: IncomingMessage): string {
    return proxyAddr(request, this.trusted);
  }

  /** Takes a place for a connection from `ip`, or says why there is none. */
  admit(ip: string): string | null {
    const n = this.open.get(ip) ?? 0;
    if (n >= this.max) return `too many connections from this address: at most ${this.max} at once (FLOCK_MAX_CONNECTIONS_PER_IP); close some and try again`;
    this.open.set(ip, n + 1);
    return null;
  }

  release(ip: string): void {
    const n = (this.open.get(ip) ?? 0) - 1;
    if (n > 0) this.open.set(ip, n);
    else this.open.delete(ip);
  }

  count(ip: string): number {
    return this.open.get(ip) ?? 0;
  }
}

/**
 * Refuses a connection over the per-IP limit at its handshake, with the reason. Registered after the
 * token guards: a connection they refuse never takes a place, one let in gives it back when it closes.
 */
export function limitConnectionsPerIp(namespaces: Namespace[], connections: ConnectionsPerIp): void {
  for (const nsp of namespaces) {
    nsp.use((socket, next) => {
      const ip = connections.clientOf(socket.request);
      const refusal = connections.admit(ip);
      if (refusal) return next(new Error(refusal));
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        connections.release(ip);
      };
      // A client gone during the handshake never fires 'disconnect'; its transport still closes.
      socket.once('disconnect', release);
      socket.conn.once('close', release);
      next();
    });
  }
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
