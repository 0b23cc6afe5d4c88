import type { Logger } from 'pino';
import type { Server } from 'socket.io';
import { zodReason } from '@flock/fl-core';
import { sendPerTurn } from '../transport/sendPerTurn.ts';
import { ClusterMessage, type ClusterMessageDraft } from './clusterMessages.ts';

const EVENT = 'flock:cluster';
/** Messages sent in one server-side event at most. */
export const MAX_MESSAGES_PER_EMIT = 1_000;

/** How coordinators sharing a Redis tell each other about federations; publish never reaches the sender itself. */
export interface ClusterBus {
  readonly coordinatorId: string;
  publish(message: ClusterMessageDraft): void;
  subscribe(handler: (message: ClusterMessage) => void | Promise<void>): void;
}

/**
 * The bus over Socket.IO's server-side events (the Redis adapter carries them to every other coordinator).
 * What is published in one turn of the event loop goes in one event, in order: thousands of devices
 * answering a round at once cost each coordinator a few Redis entries to write and read, not one each.
 */
export function serverSideBus(io: Server, coordinatorId: string, logger: Logger): ClusterBus {
  const handlers: ((message: ClusterMessage) => void | Promise<void>)[] = [];
  const hand = (message: ClusterMessage) => {
    for (const handle of handlers) {
      Promise.resolve()
        .then(() => handle(message))
        .catch((err: unknown) => logger.error({ err, kind: message.kind }, 'handling a message from another coordinator failed'));
    }
  };
  io.on(EVENT, (raw: unknown) => {
    // One event holds a list of messages; each is parsed on its own, so one this coordinator does not understand costs only itself.
    for (const item of Array.isArray(raw) ? raw.slice(0, MAX_MESSAGES_PER_EMIT) : [raw]) {
      const parsed = ClusterMessage.safeParse(item);
      if (parsed.success) hand(parsed.data);
      else logger.warn({ reason: zodReason(parsed.error) }, 'ignored a message from another coordinator that this one does not understand');
    }
  });
  const send = sendPerTurn<typeof EVENT, ClusterMessageDraft & { from: string }>((event, messages) => {
    for (let i = 0; i < messages.length; i += MAX_MESSAGES_PER_EMIT) io.serverSideEmit(event, messages.slice(i, i + MAX_MESSAGES_PER_EMIT));
  });
  return {
    coordinatorId,
    publish(message) {
      send(EVENT, { ...message, from: coordinatorId });
    },
    subscribe(handler) {
      handlers.push(handler);
    },
  };
}
