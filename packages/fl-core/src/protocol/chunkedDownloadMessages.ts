import { z } from 'zod';
import { MAX_CHUNK_BYTES } from './chunkedUploadMessages.ts';
import { BinaryPayload, MAX_UPDATE_BYTES, RoundStartMessage } from './device.ts';

/**
 * A global model (or downlink delta) larger than the coordinator's inline limit (1 MiB by default)
 * does not travel inside `round:start`: the message carries a `download` descriptor instead of `weights`, and the device
 * pulls the bytes with `model:chunk`, one acknowledged chunk at a time. Pulling keeps the
 * coordinator's share bounded (it serves slices of the one payload it holds for the round, at most
 * one request per device in flight) and makes resuming after a reconnect free: the device asks from
 * the offset it holds.
 */
/** The coordinator's chunk size unless configured otherwise. */
export const DOWNLOAD_CHUNK_BYTES = 256 * 1024;

/** FNV-1a over the bytes, 8 hex digits: names one payload, so chunks of two models are never mixed. */
export function contentHash(bytes: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.byteLength; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

export const ModelDownload = z.object({
  totalBytes: z.number().int().min(1).max(MAX_UPDATE_BYTES),
  hash: z.string().regex(/^[0-9a-f]{8}$/, '8 hex digits'),
  chunkBytes: z.number().int().min(1).max(MAX_CHUNK_BYTES),
});
export type ModelDownload = z.infer<typeof ModelDownload>;

/** `round:start` as it goes over the wire: the model inline (`weights`) or to be pulled (`download`). */
export const RoundStartAnnouncement = RoundStartMessage.omit({ weights: true })
  .extend({ weights: BinaryPayload.optional(), download: ModelDownload.optional() })
  .refine((m) => (m.weights === undefined) !== (m.download === undefined), { message: 'round:start carries either weights or a download' });
export type RoundStartAnnouncement = z.input<typeof RoundStartAnnouncement>;

export const ModelChunkRequest = z.object({
  federationId: RoundStartMessage.shape.federationId,
  round: RoundStartMessage.shape.round,
  hash: ModelDownload.shape.hash,
  offset: z.number().int().min(0).max(MAX_UPDATE_BYTES),
});
export type ModelChunkRequest = z.infer<typeof ModelChunkRequest>;

/** The bytes from the requested offset (at most the descriptor's chunkBytes), or why not. */
export const ModelChunkReply = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), data: BinaryPayload }),
  z.object({ ok: z.literal(false), reason: z.string() }),
]);
export type ModelChunkReply = z.input<typeof ModelChunkReply>;
