import {
  ADMIN_NAMESPACE,
  FederationId,
  zodReason,
  type AdminToCoordinatorEvents,
  type ConsoleSnapshot,
  type CoordinatorToAdminEvents,
  type EventLogEntry,
} from '@flock/fl-core';
import type { Logger } from 'pino';
import type { Namespace, Server } from 'socket.io';
import { z } from 'zod';
import type { FederationOutputs, FederationRuntime } from '../federations/federationRuntime.ts';
import type { CoordinatorMetrics } from '../metrics/coordinatorMetrics.ts';
import { sendPerTurn } from './sendPerTurn.ts';
import { answerer, guarded, type ErrorEmitter, type SocketBoundaryDeps } from './socketBoundary.ts';

type AdminNamespace = Namespace<AdminToCoordinatorEvents, CoordinatorToAdminEvents>;

const SubscribeMessage = z.object({ federationId: FederationId });
const consoleRoom = (federationId: string) => `admin-console:${federationId}`;

/** The console's snapshot: counts and the last round, so its size does not grow with devices or rounds. */
export function consoleSnapshot(runtime: FederationRuntime): ConsoleSnapshot {
  return {
    federation: runtime.summary(),
    deviceCounts: runtime.deviceCounts(),
    lastRound: runtime.lastRoundRecord(),
  };
}

function adminNamespace(io: Server): AdminNamespace {
  // The server is typed for devices; this namespace speaks the dashboard's events.
  return io.of(ADMIN_NAMESPACE) as unknown as AdminNamespace;
}

/** A federation's snapshots go out at most this often: with thousands of devices answering a round, each answer changes it. */
export const SNAPSHOT_EVERY_MS = 100;

/**
 * The dashboard's live feed. Snapshots are coalesced per federation over SNAPSHOT_EVERY_MS, and the
 * events logged in one turn of the event loop go in one message: with several coordinators each
 * emission is an entry every coordinator reads from Redis, whether or not a dashboard is open.
 */
export function adminOutputs(io: Server, federations: ReadonlyMap<string, FederationRuntime>): Pick<FederationOutputs, 'changed' | 'event'> {
  const nsp = adminNamespace(io);
  const dirty = new Set<string>();
  const sendEvents = sendPerTurn<string, EventLogEntry>((federationId, entries) => nsp.to(consoleRoom(federationId)).emit('events', entries));
  return {
    changed(federationId) {
      if (dirty.has(federationId)) return;
      dirty.add(federationId);
      setTimeout(() => {
        dirty.delete(federationId);
        const runtime = federations.get(federationId);
        // With several coordinators, the one running the federation speaks for it (through the Redis
        // adapter, to every coordinator's dashboards): the others' copies lag and would flicker in between.
        if (!runtime?.runsRounds) return;
        nsp.to(consoleRoom(federationId)).emit('snapshot', consoleSnapshot(runtime));
      }, SNAPSHOT_EVERY_MS).unref();
    },
    event(entry) {
      if (entry.federationId) sendEvents(entry.federationId, entry);
    },
  };
}

export interface AdminSocketDeps {
  federations: ReadonlyMap<string, FederationRuntime>;
  logger: Logger;
  metrics: Pick<CoordinatorMetrics, 'handlerFailed'>;
}

/**
 * Connections arrive already checked (auth/socketGuards.ts: an admin or viewer token, each event's
 * role). Handlers run inside the error boundary (socketBoundary.ts); an event the dashboard does not
 * send is answered with a reason.
 */
export function attachAdminSocket(io: Server, { federations, logger, metrics }: AdminSocketDeps): void {
  const nsp = adminNamespace(io);
  nsp.on('connection', (socket) => {
    const boundary: SocketBoundaryDeps = { metrics, logger: logger.child({ adminSocket: socket.id }), door: (event) => `admin socket ${event}` };
    const errors: ErrorEmitter = socket;

    // A middleware, not onAny: it runs after the guard's role check, so a viewer still hears that first.
    socket.use(([event, ...args], next) => {
      if (event === 'subscribe') return next();
      answerer(errors, String(event), args)({ ok: false, reason: `unknown event "${String(event)}"; the dashboard sends subscribe` });
    });

    socket.on(
      'subscribe',
      guarded<{ ok: boolean; reason?: string }>(errors, 'subscribe', boundary, (payload, answer) => {
        const parsed = SubscribeMessage.safeParse(payload);
        if (!parsed.success) return answer({ ok: false, reason: zodReason(parsed.error) });
        const runtime = federations.get(parsed.data.federationId);
        if (!runtime) return answer({ ok: false, reason: `unknown federation "${parsed.data.federationId}"` });
        void socket.join(consoleRoom(parsed.data.federationId));
        socket.emit('snapshot', consoleSnapshot(runtime));
        answer({ ok: true });
      }),
    );
  });
}
