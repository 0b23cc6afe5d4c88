import {
  contentHash,
  DOWNLOAD_CHUNK_BYTES,
  ModelChunkRequest,
  zodReason,
  type ModelChunkReply,
  type ModelDownload,
  type RoundStartAnnouncement,
  type RoundStartMessage,
} from '@flock/fl-core';

export interface DownloadLimits {
  /** A model up to this size travels inside round:start (the 2NN does: 398 KB in float16, 797 KB in float32). */
  inlineBytes: number;
  /** A larger one is served in chunks of at most this size. */
  chunkBytes: number;
}

export const DEFAULT_DOWNLOAD_LIMITS: DownloadLimits = { inlineBytes: 1024 * 1024, chunkBytes: DOWNLOAD_CHUNK_BYTES };

/**
 * The coordinator's side of chunked model downloads (protocol/chunkedDownloadMessages.ts): per federation,
 * the payloads of its latest announced round, by content hash. Every device reads slices of the same
 * bytes, so memory is O(model) whatever the number of devices, and a device pulls one chunk at a time.
 */
export class ChunkedDownloads {
  private readonly served = new Map<string, { round: number; payloads: Map<string, Uint8Array> }>();
  /** Per federation, the model its latest confusion-matrix query scores (the one `round` trains from), served beside the round's. */
  private readonly queryModels = new Map<string, { round: number; hash: string; weights: Uint8Array }>();

  constructor(private readonly limits: DownloadLimits = DEFAULT_DOWNLOAD_LIMITS) {}

  /** The round:start to emit: the model inline up to `inlineBytes`, else its descriptor (and the model kept to serve). */
  announce(msg: RoundStartMessage): RoundStartAnnouncement {
    const weights = msg.weights instanceof Uint8Array ? msg.weights : new Uint8Array(msg.weights);
    if (weights.byteLength <= this.limits.inlineBytes) return msg;
    let entry = this.served.get(msg.federationId);
    // A new round drops the previous round's payloads.
    if (entry?.round !== msg.round) {
      entry = { round: msg.round, payloads: new Map() };
      this.served.set(msg.federationId, entry);
    }
    const hash = contentHash(weights);
    entry.payloads.set(hash, weights);
    const { weights: _inline, ...rest } = msg;
    return { ...rest, download: { totalBytes: weights.byteLength, hash, chunkBytes: this.limits.chunkBytes } };
  }

  /** Serves the global model a query scores (whatever its size: a query ask never carries a model) and says how to pull it. */
  serveQueryModel(federationId: string, round: number, weights: Uint8Array): ModelDownload {
    const hash = contentHash(weights);
    this.queryModels.set(federationId, { round, hash, weights });
    return { totalBytes: weights.byteLength, hash, chunkBytes: this.limits.chunkBytes };
  }

  /** A slice of a served model for a device of `federationId`, or why not. */
  chunk(federationId: string, raw: unknown): ModelChunkReply {
    const parsed = ModelChunkRequest.safeParse(raw);
    if (!parsed.success) return { ok: false, reason: `model:chunk is malformed: ${zodReason(parsed.error)}` };
    const msg = parsed.data;
    if (msg.federationId !== federationId) return { ok: false, reason: `this device belongs to federation "${federationId}", not "${msg.federationId}"` };
    const entry = this.served.get(federationId);
    const queried = this.queryModels.get(federationId);
    if (queried?.round === msg.round && queried.hash === msg.hash) return this.slice(queried.weights, msg.offset);
    if (entry?.round !== msg.round)
      return { ok: false, reason: `round ${msg.round} is not the round being served (${entry ? `round ${entry.round}` : 'none'})` };
    const payload = entry.payloads.get(msg.hash);
    if (!payload) return { ok: false, reason: `round ${msg.round} has no model ${msg.hash}` };
    return this.slice(payload, msg.offset);
  }

  private slice(payload: Uint8Array, offset: number): ModelChunkReply {
    if (offset >= payload.byteLength) return { ok: false, reason: `offset ${offset} is past the model's ${payload.byteLength} bytes` };
    return { ok: true, data: payload.slice(offset, offset + this.limits.chunkBytes) };
  }
}
