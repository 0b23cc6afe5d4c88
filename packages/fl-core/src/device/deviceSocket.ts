import type { Socket } from 'socket.io-client';
import type { CoordinatorToDeviceEvents, DeviceToCoordinatorEvents } from '../protocol/events.ts';
import { Ack, HelloReply, type HelloMessage, type UpdateMessage } from '../protocol/device.ts';

/** A device's Socket.IO connection, typed by the shared event maps (tab and Node alike). */
export type DeviceSocket = Socket<CoordinatorToDeviceEvents, DeviceToCoordinatorEvents>;

const HELLO_TIMEOUT_MS = 15_000;
const UPDATE_TIMEOUT_MS = 120_000;

/**
 * Reconnection for ever, with a randomised, growing delay: 0.5 s, 1 s, 2 s, 4 s, then 5 s, each
 * +-50% before the 5 s cap, so a restarted coordinator is not stormed by its devices all at once,
 * yet every device tries again within 5 s of it listening. Each attempt gives up after 10 s.
 */
export const DEVICE_RECONNECTION = {
  reconnection: true,
  reconnectionAttempts: Number.POSITIVE_INFINITY,
  reconnectionDelay: 500,
  reconnectionDelayMax: 5_000,
  randomizationFactor: 0.5,
  timeout: 10_000,
} as const;

/**
 * The delay before retry number `attempt` (0-based) on DEVICE_RECONNECTION's schedule, for what
 * else waits for a coordinator (the headless clients' REST calls): 0.5 s doubling to 5 s, +-50% below the cap.
 */
export function reconnectDelayMs(attempt: number, random = Math.random): number {
  const { reconnectionDelay, reconnectionDelayMax, randomizationFactor } = DEVICE_RECONNECTION;
  const base = reconnectionDelay * 2 ** Math.min(attempt, 30);
  const jittered = base * (1 + randomizationFactor * (2 * random() - 1));
  return Math.min(reconnectionDelayMax, jittered);
}

/** Sends `hello` and parses the reply; a missing or malformed reply becomes `{ok: false, reason}`. */
export async function sendHello(socket: DeviceSocket, msg: HelloMessage): Promise<HelloReply> {
  try {
    const raw: unknown = await socket.timeout(HELLO_TIMEOUT_MS).emitWithAck('hello', msg);
    const parsed = HelloReply.safeParse(raw);
    return parsed.success ? parsed.data : { ok: false, reason: `malformed hello reply: ${parsed.error.message}` };
  } catch (err) {
    return { ok: false, reason: `no hello reply: ${describeError(err)}` };
  }
}

/**
 * How an update fared: `accepted` (acknowledged, possibly as a duplicate), `refused` (the
 * coordinator said why), `undelivered` (no answer: the connection dropped or the ack timed out).
 */
export type UpdateDelivery = { outcome: 'accepted' } | { outcome: 'refused'; reason: string } | { outcome: 'undelivered'; reason: string };

/**
 * Sends one update; Socket.IO fails the ack at once when the connection drops, so nothing waits for the timeout then.
 * A refusal for now only (retryAfterMs) is sent again after the wait, or is undelivered if the connection dropped meanwhile.
 */
export async function sendUpdate(socket: DeviceSocket, msg: UpdateMessage): Promise<UpdateDelivery> {
  for (;;) {
    let ack: Ack;
    try {
      const parsed = Ack.safeParse(await socket.timeout(UPDATE_TIMEOUT_MS).emitWithAck('update', msg));
      if (!parsed.success) return { outcome: 'refused', reason: `malformed update ack: ${parsed.error.message}` };
      ack = parsed.data;
    } catch (err) {
      return { outcome: 'undelivered', reason: `no update ack: ${describeError(err)}` };
    }
    if (ack.ok) return { outcome: 'accepted' };
    if (ack.retryAfterMs === undefined) return { outcome: 'refused', reason: ack.reason };
    await new Promise((resolve) => setTimeout(resolve, ack.retryAfterMs));
    if (!socket.connected) return { outcome: 'undelivered', reason: ack.reason };
  }
}

export function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
