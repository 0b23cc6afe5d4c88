import type { Socket } from 'socket.io-client';
import type { CoordinatorToDeviceEvents, DeviceToCoordinatorEvents } from '../protocol/events.ts';
import { Ack, HelloReply, type HelloMessage, type UpdateMessage } from '../protocol/messages.ts';

/** A device's Socket.IO connection, typed by the shared event maps (tab and Node alike). */
export type DeviceSocket = Socket<CoordinatorToDeviceEvents, DeviceToCoordinatorEvents>;

const HELLO_TIMEOUT_MS = 15_000;
const UPDATE_TIMEOUT_MS = 120_000;

/** Reconnection with a randomised, growing delay: a restarted coordinator is not stormed by its devices. */
export const DEVICE_RECONNECTION = {
  reconnection: true,
  reconnectionDelay: 500,
  reconnectionDelayMax: 10_000,
  randomizationFactor: 0.5,
} as const;

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

/** Sends one update and parses the acknowledgement the same way. */
export async function sendUpdate(socket: DeviceSocket, msg: UpdateMessage): Promise<Ack> {
  try {
    const raw: unknown = await socket.timeout(UPDATE_TIMEOUT_MS).emitWithAck('update', msg);
    const parsed = Ack.safeParse(raw);
    return parsed.success ? parsed.data : { ok: false, reason: `malformed update ack: ${parsed.error.message}` };
  } catch (err) {
    return { ok: false, reason: `no update ack: ${describeError(err)}` };
  }
}

export function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
