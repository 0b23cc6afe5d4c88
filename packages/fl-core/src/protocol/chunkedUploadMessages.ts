import { z } from 'zod';
import { BinaryPayload, MAX_UPDATE_BYTES, UpdateMessage } from './device.ts';

/**
 * An update larger than one chunk travels as `update:begin` then `update:chunk`s, each acknowledged
 * before the next goes out (so the coordinator never holds more than one update per device plus one
 * chunk in flight). A transfer is identified by (device, round): after a reconnect, `update:begin`
 * answers how many bytes already arrived and the device goes on from there. A refusal with
 * `retryAfterMs` is temporary: the device begins again after that wait.
 */
export const UPLOAD_CHUNK_BYTES = 256 * 1024;
/** A chunk above this is refused (a device chooses its chunk size up to it). */
export const MAX_CHUNK_BYTES = 1024 * 1024;

/** Everything of an update but its payload, and the payload's size. */
export const UpdateBeginMessage = UpdateMessage.omit({ payload: true }).extend({
  totalBytes: z.number().int().min(1).max(MAX_UPDATE_BYTES),
});
export type UpdateBeginMessage = z.infer<typeof UpdateBeginMessage>;

export const UpdateChunkMessage = z.object({
  federationId: UpdateMessage.shape.federationId,
  round: UpdateMessage.shape.round,
  /** Where the chunk's bytes start in the payload. */
  offset: z.number().int().min(0).max(MAX_UPDATE_BYTES),
  data: BinaryPayload.refine((b) => b.byteLength >= 1 && b.byteLength <= MAX_CHUNK_BYTES, {
    message: `a chunk holds 1 to ${MAX_CHUNK_BYTES} bytes`,
  }),
});
export type UpdateChunkMessage = z.input<typeof UpdateChunkMessage>;

/**
 * The reply to a begin or a chunk: `received` bytes have arrived (send from there); `done` when the
 * whole update arrived and was accepted (a refused update is `ok: false` with the reason).
 */
export const ChunkAck = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), received: z.number().int().min(0), done: z.boolean() }),
  z.object({
    ok: z.literal(false),
    reason: z.string(),
    /** A refusal for now only (the coordinator's upload budget is taken): begin again after this many ms. */
    retryAfterMs: z.number().int().min(0).max(60_000).optional(),
  }),
]);
export type ChunkAck = z.infer<typeof ChunkAck>;
