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
import { fetchEvents } from './adminApi.ts';
import { mergeEvents } from './eventList.ts';

type AdminSocket = Socket<CoordinatorToAdminEvents, AdminToCoordinatorEvents>;

export type AdminConnection = 'connecting' | 'connected' | 'reconnecting' | 'unauthorized';

export interface AdminFeed {
  connection: AdminConnection;
  snapshot: FederationSnapshot | null;
  /** Newest first, at most MAX_EVENTS: the stored history, then what arrives live. */
  events: EventLogEntry[];
  /** The warnings alone, kept apart so that a flood of info events cannot push them out. */
  warnings: EventLogEntry[];
  /** Why a message from the coordinator was ignored, if one was. */
  problem: string | null;
}

export const MAX_EVENTS = 200;

const EMPTY_FEED: AdminFeed = { connection: 'connecting', snapshot: null, events: [], warnings: [], problem: null };

/**
 * Subscribes to one federation on the `/admin` namespace and keeps its latest snapshot and event
 * log. Nothing polls: the coordinator pushes a snapshot on every change. On each (re)connection the
 * stored event history is loaded once, so the log also shows what happened before the page opened.
 */
export function useAdminSocket(token: string, federationId: string): AdminFeed {
  const [feed, setFeed] = useState<AdminFeed>(EMPTY_FEED);

  useEffect(() => {
    setFeed(EMPTY_FEED);
    let open = true;
    const socket: AdminSocket = io(ADMIN_NAMESPACE, { ...socketTransportOptions(), auth: { token } });
    const loadHistory = async () => {
      const [all, warnings] = await Promise.all([
        fetchEvents(token, federationId, { limit: MAX_EVENTS }),
        fetchEvents(token, federationId, { level: 'warn', limit: MAX_EVENTS }),
      ]);
      if (!open) return;
      if (!all.ok || !warnings.ok) {
        const reason = !all.ok ? all.reason : !warnings.ok ? warnings.reason : '';
        setFeed((f) => ({ ...f, problem: `could not load the event history: ${reason}` }));
        return;
      }
      // The route answers oldest first; the feed keeps newest first.
      setFeed((f) => ({
        ...f,
        events: mergeEvents(f.events, [...all.events].reverse(), MAX_EVENTS),
        warnings: mergeEvents(f.warnings, [...warnings.events].reverse(), MAX_EVENTS),
      }));
    };
    socket.on('connect', () => {
      setFeed((f) => ({ ...f, connection: 'connected' }));
      socket.emit('subscribe', { federationId });
      void loadHistory();
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
      const entry = parsed.data;
      setFeed((f) => ({
        ...f,
        events: mergeEvents(f.events, [entry], MAX_EVENTS),
        warnings: entry.level === 'warn' ? mergeEvents(f.warnings, [entry], MAX_EVENTS) : f.warnings,
      }));
    });
    return () => {
      open = false;
      socket.disconnect();
    };
  }, [token, federationId]);

  return feed;
}
