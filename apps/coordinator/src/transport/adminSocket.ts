import {
  ADMIN_NAMESPACE,
  FederationId,
  type AdminToCoordinatorEvents,
  type CoordinatorToAdminEvents,
} from '@flock/fl-core';
import type { Namespace, Server } from 'socket.io';
import { z } from 'zod';
import type { FederationOutputs, FederationRuntime } from '../federations/federationRuntime.ts';
import { zodReason } from './zodReason.ts';

type AdminNamespace = Namespace<AdminToCoordinatorEvents, CoordinatorToAdminEvents>;

const SubscribeMessage = z.object({ federationId: FederationId });
const adminRoom = (federationId: string) => `admin:${federationId}`;

function adminNamespace(io: Server): AdminNamespace {
  // The server is typed for devices; this namespace speaks the dashboard's events.
  return io.of(ADMIN_NAMESPACE) as unknown as AdminNamespace;
}

/**
 * The dashboard's live feed. Snapshots are coalesced per federation: many changes inside one
 * turn of the event loop (a round closing touches several things) produce one snapshot.
 */
export function adminOutputs(io: Server, federations: ReadonlyMap<string, FederationRuntime>): Pick<FederationOutputs, 'changed' | 'event'> {
  const nsp = adminNamespace(io);
  const dirty = new Set<string>();
  return {
    changed(federationId) {
      if (dirty.has(federationId)) return;
      dirty.add(federationId);
      setImmediate(() => {
        dirty.delete(federationId);
        const runtime = federations.get(federationId);
        if (runtime) nsp.to(adminRoom(federationId)).emit('snapshot', runtime.snapshot());
      });
    },
    event(entry) {
      if (entry.federationId) nsp.to(adminRoom(entry.federationId)).emit('event', entry);
    },
  };
}

/** Connections arrive already checked (auth/socketGuards.ts: an admin or viewer token, each event's role). */
export function attachAdminSocket(io: Server, federations: ReadonlyMap<string, FederationRuntime>): void {
  const nsp = adminNamespace(io);
  nsp.on('connection', (socket) => {
    socket.on('subscribe', (...args: unknown[]) => {
      const ack = args.length > 1 ? args.at(-1) : undefined;
      const answer = (reply: { ok: true } | { ok: false; reason: string }) => {
        if (typeof ack === 'function') ack(reply);
      };
      const parsed = SubscribeMessage.safeParse(args[0]);
      if (!parsed.success) return answer({ ok: false, reason: zodReason(parsed.error) });
      const runtime = federations.get(parsed.data.federationId);
      if (!runtime) return answer({ ok: false, reason: `unknown federation "${parsed.data.federationId}"` });
      void socket.join(adminRoom(parsed.data.federationId));
      socket.emit('snapshot', runtime.snapshot());
      answer({ ok: true });
    });
  });
}
