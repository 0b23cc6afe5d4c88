import type { Logger } from 'pino';
import type { CoordinatorMetrics } from '../metrics/coordinatorMetrics.ts';

/** What every socket reply has in common: refusals carry a reason. */
export interface SocketReply {
  ok: boolean;
  reason?: string;
}

export interface Refusal {
  ok: false;
  reason: string;
}

/** The one thing a handler needs of its socket to refuse a message sent without an ack. */
export interface ErrorEmitter {
  emit(event: 'protocol:error', msg: { event: string; reason: string }): unknown;
}

export interface SocketBoundaryDeps {
  metrics: Pick<CoordinatorMetrics, 'handlerFailed'>;
  logger: Logger;
  /** The `flock_handler_failures_total` door of an event: the namespace's prefix and the event's name. */
  door: (event: string) => string;
  /** The event log of the federation the socket belongs to, when it belongs to one. */
  eventLogOf?: () => ((message: string) => void) | undefined;
}

/** A handler inside the boundary: `answer` replies once; what it throws or rejects with is the boundary's. */
export type SocketHandler<T extends SocketReply> = (payload: unknown, answer: (reply: T) => void, args: readonly unknown[]) => unknown;

/** Registers a guarded handler for one of a namespace's events. */
export type GuardedOn<E extends string> = <T extends SocketReply>(event: E, handle: SocketHandler<T>) => void;

/** The ack a peer sent with its message (Socket.IO passes it last), if it sent one. */
export function ackOf(args: readonly unknown[]): ((reply: unknown) => void) | undefined {
  const last = args.at(-1);
  return typeof last === 'function' ? (last as (reply: unknown) => void) : undefined;
}

/**
 * Answers once: the peer's ack when it sent one, else a refusal goes out as 'protocol:error'
 * (an accepted message sent without an ack needs no answer).
 */
export function answerer<T extends SocketReply>(socket: ErrorEmitter, event: string, args: readonly unknown[]): (reply: T | Refusal) => void {
  const ack = ackOf(args);
  let answered = false;
  return (reply) => {
    if (answered) return;
    answered = true;
    if (ack) ack(reply);
    else if (!reply.ok) socket.emit('protocol:error', { event, reason: reply.reason ?? 'refused' });
  };
}

/**
 * A listener for `event` that no failure escapes: whatever `handle` throws or rejects with is
 * answered with a reason, recorded (the federation's event log, else the coordinator's log) and
 * counted in `flock_handler_failures_total`. A throw in a Socket.IO listener would otherwise end the
 * process; a global uncaughtException handler would hide which door failed.
 */
export function guarded<T extends SocketReply>(
  socket: ErrorEmitter,
  event: string,
  deps: SocketBoundaryDeps,
  handle: SocketHandler<T>,
): (...args: unknown[]) => void {
  return (...args: unknown[]) => {
    const answer = answerer<T>(socket, event, args);
    const fail = (err: unknown): void => {
      deps.metrics.handlerFailed(deps.door(event));
      const record = deps.eventLogOf?.();
      const detail = err instanceof Error ? err.message : String(err);
      if (record) record(`the coordinator failed while handling ${event}: ${detail}`);
      else deps.logger.warn({ err, event }, 'socket handler failed');
      answer({ ok: false, reason: `the coordinator failed while handling ${event}; the failure is in its log, please try again later or report it` });
    };
    try {
      const result: unknown = handle(args[0], answer, args);
      if (result instanceof Promise) result.catch(fail);
    } catch (err) {
      fail(err);
    }
  };
}
