import { ChunkAck, UPLOAD_CHUNK_BYTES } from '../protocol/chunkedUploadMessages.ts';
import type { UpdateMessage } from '../protocol/device.ts';
import { describeError, sendUpdate, type DeviceSocket, type UpdateDelivery } from './deviceSocket.ts';

const CHUNK_TIMEOUT_MS = 60_000;

export interface ChunkedUploadOptions {
  /** Bytes per chunk (default UPLOAD_CHUNK_BYTES); an update no larger goes as one `update`. */
  chunkBytes?: number;
  /** Called each time the coordinator confirms how many bytes it holds. */
  onProgress?: (received: number, total: number) => void;
}

/**
 * Sends an update as one message when it fits one chunk, else in chunks (protocol/chunkedUploadMessages.ts):
 * `update:begin` says how many bytes the coordinator already holds for this round, and each chunk
 * waits for its ack before the next goes out. When the link drops the upload stops as `undelivered`;
 * sent again after the next hello, it goes on from the last acknowledged byte.
 */
export async function uploadUpdate(socket: DeviceSocket, msg: UpdateMessage, options: ChunkedUploadOptions = {}): Promise<UpdateDelivery> {
  const chunkBytes = options.chunkBytes ?? UPLOAD_CHUNK_BYTES;
  const payload = msg.payload instanceof Uint8Array ? msg.payload : new Uint8Array(msg.payload);
  if (payload.byteLength <= chunkBytes) return sendUpdate(socket, msg);
  const total = payload.byteLength;
  const { payload: _whole, ...header } = msg;
  const begin = () => socket.timeout(CHUNK_TIMEOUT_MS).emitWithAck('update:begin', { ...header, totalBytes: total });
  let reply = await ask(begin);
  for (;;) {
    if ('outcome' in reply) return reply;
    if (!reply.ok) {
      const wait = reply.retryAfterMs;
      if (wait === undefined) return { outcome: 'refused', reason: reply.reason };
      // The coordinator is busy receiving others' updates: ask again until it has room or the round ends.
      await new Promise((resolve) => setTimeout(resolve, wait));
      if (!socket.connected) return { outcome: 'undelivered', reason: `the connection dropped while waiting to upload: ${reply.reason}` };
      reply = await ask(begin);
      continue;
    }
    options.onProgress?.(reply.received, total);
    if (reply.done) return { outcome: 'accepted' };
    // A chunk emitted while disconnected would be buffered and sent before the next hello.
    if (!socket.connected) return { outcome: 'undelivered', reason: `the connection dropped after ${reply.received} of ${total} bytes` };
    const offset = reply.received;
    const data = payload.slice(offset, Math.min(total, offset + chunkBytes));
    reply = await ask(() => socket.timeout(CHUNK_TIMEOUT_MS).emitWithAck('update:chunk', { federationId: msg.federationId, round: msg.round, offset, data }));
  }
}

async function ask(emit: () => Promise<unknown>): Promise<ChunkAck | Extract<UpdateDelivery, { outcome: 'undelivered' | 'refused' }>> {
  try {
    const parsed = ChunkAck.safeParse(await emit());
    return parsed.success ? parsed.data : { outcome: 'refused', reason: `malformed chunk ack: ${parsed.error.message}` };
  } catch (err) {
    return { outcome: 'undelivered', reason: `no chunk ack: ${describeError(err)}` };
  }
}
