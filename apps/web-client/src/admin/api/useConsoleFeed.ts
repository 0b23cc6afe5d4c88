import { useEffect, useState } from 'react';
import { io, type Socket } from 'socket.io-client';
import { ADMIN_NAMESPACE, ConsoleSnapshot, type AdminToCoordinatorEvents, type CoordinatorToAdminEvents } from '@flock/fl-core/protocol';
import { socketTransportOptions } from '../../socketTransport.ts';

type AdminSocket = Socket<CoordinatorToAdminEvents, AdminToCoordinatorEvents>;

export type AdminConnection = 'connecting' | 'connected' | 'reconnecting' | 'unauthorized';

export interface ConsoleFeed {
  connection: AdminConnection;
  snapshot: ConsoleSnapshot | null;
  /** Goes up when the federation changed, at most once a second: the open view fetches its page again. */
  changes: number;
  /** Why a message from the coordinator was ignored, if one was. */
  problem: string | null;
}

/** The open view reloads at most this often, however fast the snapshots come. */
const REFRESH_MS = 1_000;

const EMPTY_FEED: ConsoleFeed = { connection: 'connecting', snapshot: null, changes: 0, problem: null };

/**
 * Subscribes to one federation's slim live feed on the `/admin` namespace: the summary, device counts
 * and last round on every change, never a list that grows with the federation (the views page those).
 */
export function useConsoleFeed(token: string, federationId: string): ConsoleFeed {
  const [feed, setFeed] = useState<ConsoleFeed>(EMPTY_FEED);

  useEffect(() => {
    setFeed(EMPTY_FEED);
    const socket: AdminSocket = io(ADMIN_NAMESPACE, { ...socketTransportOptions(), auth: { token } });
    let lastRefresh = 0;
    let pending: ReturnType<typeof setTimeout> | null = null;
    // The views fetch their pages when they open: the subscription's first snapshot changes nothing they show.
    let subscribed = false;
    const refresh = () => {
      pending = null;
      lastRefresh = Date.now();
      setFeed((f) => ({ ...f, changes: f.changes + 1 }));
    };
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
      const parsed = ConsoleSnapshot.safeParse(raw);
      if (!parsed.success) {
        setFeed((f) => ({
          ...f,
          problem: 'The coordinator sent an update this page cannot read; reload the page (the coordinator may be newer than this page).',
        }));
        return;
      }
      if (parsed.data.federation.config.id !== federationId) return;
      setFeed((f) => ({ ...f, snapshot: parsed.data, problem: null }));
      if (!subscribed) subscribed = true;
      else if (pending === null) pending = setTimeout(refresh, Math.max(0, lastRefresh + REFRESH_MS - Date.now()));
    });
    return () => {
      if (pending !== null) clearTimeout(pending);
      socket.disconnect();
    };
  }, [token, federationId]);

  return feed;
}
