import type { Logger } from 'pino';
import type { Server } from 'socket.io';
import { zodReason } from '@flock/fl-core';
import { ClusterMessage, type ClusterMessageDraft } from './clusterMessages.ts';

const EVENT = 'flock:cluster';

/** How coordinators sharing a Redis tell each other about federations; publish never reaches the sender itself. */
export interface ClusterBus {
  readonly coordinatorId: string;
  publish(message: ClusterMessageDraft): void;
  subscribe(handler: (message: ClusterMessage) => void | Promise<void>): void;
}

/** The bus over Socket.IO's server-side events (the Redis adapter carries them to every other coordinator). */
export function serverSideBus(io: Server, coordinatorId: string, logger: Logger): ClusterBus {
  const handlers: ((message: ClusterMessage) => void | Promise<void>)[] = [];
  io.on(EVENT, (raw: unknown) => {
    const parsed = ClusterMessage.safeParse(raw);
    if (!parsed.success) {
      logger.warn({ reason: zodReason(parsed.error) }, 'ignored a message from another coordinator that this one does not understand');
      return;
    }
    for (const handle of handlers) {
      Promise.resolve()
        .then(() => handle(parsed.data))
        .catch((err: unknown) => logger.error({ err, kind: parsed.data.kind }, 'handling a message from another coordinator failed'));
    }
  });
  return {
    coordinatorId,
    publish(message) {
      io.serverSideEmit(EVENT, { ...message, from: coordinatorId });
    },
    subscribe(handler) {
      handlers.push(handler);
    },
  };
}
