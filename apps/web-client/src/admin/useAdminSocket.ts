import { useEffect, useState } from 'react';
import { io, type Socket } from 'socket.io-client';
import {
  ADMIN_NAMESPACE,
  EventLogEntry,
  FederationSnapshot,
  type AdminToCoordinatorEvents,
  type CoordinatorToAdminEvents,
} from '@flock/fl-core/protocol';
import { socketTransportOptions } from '../socketTransport.ts';

type AdminSocket = Socket<CoordinatorToAdminEvents, AdminToCoordinatorEvents>;

export type AdminConnection = 'connecting' | 'connected' | 'reconnecting' | 'unauthorized';

export interface AdminFeed {
  connection: AdminConnection;
  snapshot: FederationSnapshot | null;
  /** Newest first, at most MAX_EVENTS. */
  events: EventLogEntry[];
  /** Why a message from the coordinator was ignored, if one was. */
  problem: string | null;
}

export const MAX_EVENTS = 200;

/**
 * Subscribes to one federation on the `/admin` namespace and keeps its latest snapshot and event
 * log. Nothing polls: the coordinator pushes a snapshot on every change.
 */
export function useAdminSocket(token: string, federationId: string): AdminFeed {
  const [feed, setFeed] = useState<AdminFeed>({ connection: 'connecting', snapshot: null, events: [], problem: null });

  useEffect(() => {
    setFeed({ connection: 'connecting', snapshot: null, events: [], problem: null });
    const socket: AdminSocket = io(ADMIN_NAMESPACE, { ...socketTransportOptions(), auth: { token } });
    socket.on('connect', () => {
      setFeed((f) => ({ ...f, connection: 'connected' }));
      socket.emit('subscribe', { federationId });
    });
    socket.on('disconnect', () => setFeed((f) => ({ ...f, connection: 'reconnecting' })));
    socket.on('connect_error', (err) => {
      if (/unauthori[sz]ed/i.test(err.message)) {
        socket.disconnect();
        setFeed((f) => ({ ...f, connection: 'unauthorized' }));
      } else {
        setFeed((f) => ({ ...f, connection: 'reconnecting' }));
      }
    });
    socket.on('snapshot', (raw) => {
      const parsed = FederationSnapshot.safeParse(raw);
      if (!parsed.success) {
        setFeed((f) => ({ ...f, problem: `ignored a malformed snapshot: ${parsed.error.issues[0]?.message}` }));
        return;
      }
      if (parsed.data.federation.config.id !== federationId) return;
      setFeed((f) => ({ ...f, snapshot: parsed.data, problem: null }));
    });
    socket.on('event', (raw) => {
      const parsed = EventLogEntry.safeParse(raw);
      if (!parsed.success) return;
      if (parsed.data.federationId !== null && parsed.data.federationId !== federationId) return;
      setFeed((f) => ({ ...f, events: [parsed.data, ...f.events].slice(0, MAX_EVENTS) }));
    });
    return () => {
      socket.disconnect();
    };
  }, [token, federationId]);

  return feed;
}
