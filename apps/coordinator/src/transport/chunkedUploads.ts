import {
  ChunkAssembly,
  MAX_UPDATE_BYTES,
  UpdateBeginMessage,
  UpdateChunkMessage,
  type Ack,
  type ChunkAck,
  type ParsedUpdateMessage,
} from '@flock/fl-core';
import type { FederationRuntime } from '../federations/federationRuntime.ts';
import type { DeviceEvent, DeviceSocketData } from './deviceSocket.ts';
import type { GuardedOn } from './socketBoundary.ts';
import { zodReason } from './zodReason.ts';

export interface ChunkedUploadLimits {
  /** The most the coordinator holds for one device: one update of at most this many bytes. */
  maxBytesPerDevice: number;
  /** An upload untouched this long is dropped (its device went away). */
  idleMs: number;
}

const DEFAULT_LIMITS: ChunkedUploadLimits = { maxBytesPerDevice: MAX_UPDATE_BYTES, idleMs: 10 * 60_000 };

interface Upload {
  header: UpdateBeginMessage;
  assembly: ChunkAssembly;
  touchedAt: number;
}

/**
 * The coordinator's side of chunked updates (protocol/chunkedUpload.ts), keyed by federation and
 * device so a transfer survives the device's reconnect: at most one update per device is buffered,
 * and a finished one is handed to `submit` (the runtime folds it in) exactly once; the outcome is
 * kept so a device whose last ack was lost is told it again instead of sending anything twice.
 */
export class ChunkedUploads {
  private readonly uploads = new Map<string, Upload>();
  private readonly finished = new Map<string, { round: number; reply: ChunkAck }>();

  constructor(
    private readonly limits: ChunkedUploadLimits = DEFAULT_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  begin(key: string, raw: unknown): ChunkAck {
    const parsed = UpdateBeginMessage.safeParse(raw);
    if (!parsed.success) return { ok: false, reason: `update:begin is malformed: ${zodReason(parsed.error)}` };
    const msg = parsed.data;
    this.dropIdle();
    const done = this.finished.get(key);
    if (done?.round === msg.round) return done.reply;
    if (msg.totalBytes > this.limits.maxBytesPerDevice) {
      return { ok: false, reason: `an update of ${msg.totalBytes} bytes exceeds the ${this.limits.maxBytesPerDevice} bytes the coordinator buffers per device` };
    }
    const current = this.uploads.get(key);
    if (current && current.header.round === msg.round && current.header.federationId === msg.federationId && current.assembly.totalBytes === msg.totalBytes) {
      current.touchedAt = this.now();
      return { ok: true, received: current.assembly.received, done: false };
    }
    // A device sends one update at a time: a new one replaces what an older round left behind.
    this.uploads.set(key, { header: msg, assembly: new ChunkAssembly(msg.totalBytes), touchedAt: this.now() });
    return { ok: true, received: 0, done: false };
  }

  chunk(key: string, raw: unknown, submit: (update: ParsedUpdateMessage) => Ack): ChunkAck {
    const parsed = UpdateChunkMessage.safeParse(raw);
    if (!parsed.success) return { ok: false, reason: `update:chunk is malformed: ${zodReason(parsed.error)}` };
    const msg = parsed.data;
    const upload = this.uploads.get(key);
    if (!upload || upload.header.round !== msg.round || upload.header.federationId !== msg.federationId) {
      return { ok: false, reason: `no update for round ${msg.round} is being received from this device; send update:begin first` };
    }
    const outcome = upload.assembly.accept(msg.offset, msg.data);
    if (!outcome.ok) return outcome;
    upload.touchedAt = this.now();
    if (!upload.assembly.complete) return { ok: true, received: outcome.received, done: false };
    this.uploads.delete(key);
    const { totalBytes, ...header } = upload.header;
    const ack = submit({ ...header, payload: upload.assembly.bytes() });
    const reply: ChunkAck = ack.ok ? { ok: true, received: totalBytes, done: true } : ack;
    this.finished.set(key, { round: msg.round, reply });
    return reply;
  }

  /** Bytes buffered for unfinished uploads, all devices together. */
  get bufferedBytes(): number {
    let n = 0;
    for (const u of this.uploads.values()) n += u.assembly.totalBytes;
    return n;
  }

  private dropIdle(): void {
    const cutoff = this.now() - this.limits.idleMs;
    for (const [key, upload] of this.uploads) if (upload.touchedAt < cutoff) this.uploads.delete(key);
  }
}

/** Answers a device's `update:begin` and `update:chunk` (after its hello); refusals go to the event log. */
export function attachChunkedUploads(socket: { data: DeviceSocketData }, uploads: ChunkedUploads, runtimeOf: () => FederationRuntime | undefined, on: GuardedOn<DeviceEvent>): void {
  const handle = (event: 'update:begin' | 'update:chunk', payload: unknown): ChunkAck => {
    const runtime = runtimeOf();
    const { federationId, deviceId } = socket.data;
    if (!runtime || !deviceId) return { ok: false, reason: 'say hello before sending updates' };
    const key = `${federationId}/${deviceId}`;
    let submitted = false;
    const submit = (update: ParsedUpdateMessage): Ack => {
      submitted = true;
      return runtime.submitUpdate(deviceId, update);
    };
    const reply = event === 'update:begin' ? uploads.begin(key, payload) : uploads.chunk(key, payload, submit);
    // submitUpdate logs its own refusals; this logs the transfer's.
    if (!reply.ok && !submitted) runtime.record('warn', 'update-rejected', `${event} refused: ${reply.reason}`, deviceId);
    return reply;
  };
  on<ChunkAck>('update:begin', (payload, reply) => reply(handle('update:begin', payload)));
  on<ChunkAck>('update:chunk', (payload, reply) => reply(handle('update:chunk', payload)));
}
