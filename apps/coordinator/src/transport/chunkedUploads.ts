import { ChunkAssembly, UpdateBeginMessage, UpdateChunkMessage, zodReason, type Ack, type ChunkAck, type ParsedUpdateMessage } from '@flock/fl-core';
import type { FederationRuntime } from '../federations/federationRuntime.ts';
import type { DeviceEvent, DeviceSocketData } from './deviceEvents.ts';
import type { GuardedOn } from './socketBoundary.ts';

export interface ChunkedUploadLimits {
  /**
   * Bytes all unfinished uploads together may hold (FLOCK_UPLOAD_BUDGET_BYTES). An upload counts its
   * announced size from its begin, though memory is taken only as chunks arrive: an upload that was
   * let in can always finish, so devices that each hold a part never wait on each other.
   */
  budgetBytes: number;
  /** An upload untouched this long is dropped (its device went away without a disconnect). */
  idleMs: number;
  /** An upload whose device disconnected is kept this long so the device can resume it after reconnecting. */
  disconnectGraceMs: number;
}

export const DEFAULT_UPLOAD_LIMITS: ChunkedUploadLimits = { budgetBytes: 256 * 1024 * 1024, idleMs: 10 * 60_000, disconnectGraceMs: 30_000 };

/** How long a device refused for the budget waits before it asks again. */
const BUDGET_RETRY_MS = 2_000;

/** The device an upload comes from: what its hello established on its socket. */
export interface UploadSender {
  federationId: string;
  deviceId: string;
}

/** Why the federation would refuse this upload now (round, selection, size); null when it may come. */
export type UploadProblem = (sender: UploadSender, round: number, totalBytes: number) => string | null;

interface Upload {
  sender: UploadSender;
  header: UpdateBeginMessage;
  assembly: ChunkAssembly;
  touchedAt: number;
  /** When its device's socket closed; null while connected. */
  disconnectedAt: number | null;
}

const keyOf = (s: UploadSender) => `${s.federationId}/${s.deviceId}`;

/**
 * The coordinator's side of chunked updates (protocol/chunkedUploadMessages.ts), keyed by federation and
 * device so a transfer survives the device's reconnect: at most one update per device is buffered,
 * and a finished one is handed to `submit` (the runtime folds it in) exactly once; the outcome is
 * kept so a device whose last ack was lost is told it again instead of sending anything twice.
 * An upload is let in only when its federation would take it (`problem`) and the budget has room;
 * it is dropped when its round no longer takes it (`sweep`), its device stays away, or it idles.
 */
export class ChunkedUploads {
  private readonly uploads = new Map<string, Upload>();
  private readonly finished = new Map<string, { round: number; reply: ChunkAck }>();

  constructor(
    private readonly problem: UploadProblem,
    private readonly limits: ChunkedUploadLimits = DEFAULT_UPLOAD_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  begin(sender: UploadSender, raw: unknown): ChunkAck {
    const parsed = UpdateBeginMessage.safeParse(raw);
    if (!parsed.success) return { ok: false, reason: `update:begin is malformed: ${zodReason(parsed.error)}` };
    const msg = parsed.data;
    if (msg.federationId !== sender.federationId) {
      return { ok: false, reason: `update:begin names federation "${msg.federationId}" but this device said hello to "${sender.federationId}"` };
    }
    this.sweep();
    const key = keyOf(sender);
    const done = this.finished.get(key);
    if (done?.round === msg.round) return done.reply;
    const problem = this.problem(sender, msg.round, msg.totalBytes);
    if (problem) return { ok: false, reason: problem };
    const current = this.uploads.get(key);
    if (current && current.header.round === msg.round && current.assembly.totalBytes === msg.totalBytes) {
      current.touchedAt = this.now();
      current.disconnectedAt = null;
      return { ok: true, received: current.assembly.received, done: false };
    }
    // A device sends one update at a time: a new one replaces what an older round left behind.
    const others = this.reservedBytes - (current?.assembly.totalBytes ?? 0);
    if (others + msg.totalBytes > this.limits.budgetBytes) {
      return {
        ok: false,
        reason: `the coordinator is receiving as many updates as its upload budget allows (${this.limits.budgetBytes} bytes, FLOCK_UPLOAD_BUDGET_BYTES); the device retries shortly`,
        retryAfterMs: BUDGET_RETRY_MS,
      };
    }
    this.uploads.set(key, { sender, header: msg, assembly: new ChunkAssembly(msg.totalBytes), touchedAt: this.now(), disconnectedAt: null });
    return { ok: true, received: 0, done: false };
  }

  chunk(sender: UploadSender, raw: unknown, submit: (update: ParsedUpdateMessage) => Ack): ChunkAck;
  /** Several coordinators: the update is acknowledged once the database took it. */
  chunk(sender: UploadSender, raw: unknown, submit: (update: ParsedUpdateMessage) => Ack | Promise<Ack>): ChunkAck | Promise<ChunkAck>;
  chunk(sender: UploadSender, raw: unknown, submit: (update: ParsedUpdateMessage) => Ack | Promise<Ack>): ChunkAck | Promise<ChunkAck> {
    const parsed = UpdateChunkMessage.safeParse(raw);
    if (!parsed.success) return { ok: false, reason: `update:chunk is malformed: ${zodReason(parsed.error)}` };
    const msg = parsed.data;
    const key = keyOf(sender);
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
    const finish = (ack: Ack): ChunkAck => {
      const reply: ChunkAck = ack.ok ? { ok: true, received: totalBytes, done: true } : ack;
      this.finished.set(key, { round: msg.round, reply });
      return reply;
    };
    const ack = submit({ ...header, payload: upload.assembly.bytes() });
    return ack instanceof Promise ? ack.then(finish) : finish(ack);
  }

  /**
   * The devices were sent `round` again (it was redone: called off and opened anew, or taken over by
   * another coordinator): an update they finished for it belongs to an attempt that is over, so their
   * next begin uploads afresh instead of hearing it is done.
   */
  roundSent(federationId: string, deviceIds: readonly string[], round: number): void {
    for (const deviceId of deviceIds) {
      const key = keyOf({ federationId, deviceId });
      if (this.finished.get(key)?.round === round) this.finished.delete(key);
    }
  }

  /** The device's socket closed: its upload waits `disconnectGraceMs` for it to come back and resume. */
  disconnected(sender: UploadSender): void {
    const upload = this.uploads.get(keyOf(sender));
    if (upload) upload.disconnectedAt = this.now();
  }

  /** Drops uploads whose round no longer takes them (a round closed), whose device stayed away, or that idled. */
  sweep(): void {
    const now = this.now();
    for (const [key, u] of this.uploads) {
      const gone = u.disconnectedAt !== null && now - u.disconnectedAt >= this.limits.disconnectGraceMs;
      if (gone || now - u.touchedAt >= this.limits.idleMs || this.problem(u.sender, u.header.round, u.header.totalBytes) !== null) this.uploads.delete(key);
    }
  }

  /** Bytes held for unfinished uploads, all devices together. */
  get bufferedBytes(): number {
    let n = 0;
    for (const u of this.uploads.values()) n += u.assembly.received;
    return n;
  }

  /** What unfinished uploads count against the budget: their announced sizes. */
  private get reservedBytes(): number {
    let n = 0;
    for (const u of this.uploads.values()) n += u.assembly.totalBytes;
    return n;
  }
}

/** The uploads of the coordinator's federations: each begin asks the device's federation (FederationRuntime.uploadProblem). */
export function federationUploads(federations: ReadonlyMap<string, FederationRuntime>, limits: ChunkedUploadLimits): ChunkedUploads {
  const problem: UploadProblem = (sender, round, totalBytes) => {
    const runtime = federations.get(sender.federationId);
    return runtime ? runtime.uploadProblem(sender.deviceId, round, totalBytes) : `federation "${sender.federationId}" no longer exists`;
  };
  return new ChunkedUploads(problem, limits);
}

/** Answers a device's `update:begin` and `update:chunk` (after its hello); refusals go to the event log. */
export function attachChunkedUploads(
  socket: { data: DeviceSocketData },
  uploads: ChunkedUploads,
  runtimeOf: () => FederationRuntime | undefined,
  on: GuardedOn<DeviceEvent>,
): void {
  const handle = async (event: 'update:begin' | 'update:chunk', payload: unknown): Promise<ChunkAck> => {
    const runtime = runtimeOf();
    const { federationId, deviceId } = socket.data;
    if (!runtime || !federationId || !deviceId) return { ok: false, reason: 'say hello before sending updates' };
    const sender = { federationId, deviceId };
    let submitted = false;
    const submit = (update: ParsedUpdateMessage): Ack | Promise<Ack> => {
      submitted = true;
      return runtime.submitUpdate(deviceId, update);
    };
    const reply = event === 'update:begin' ? uploads.begin(sender, payload) : await uploads.chunk(sender, payload, submit);
    // submitUpdate logs its own refusals; this logs the transfer's.
    if (!reply.ok && !submitted) runtime.record('warn', 'update-rejected', `${event} refused: ${reply.reason}`, deviceId);
    return reply;
  };
  on<ChunkAck>('update:begin', async (payload, reply) => reply(await handle('update:begin', payload)));
  on<ChunkAck>('update:chunk', async (payload, reply) => reply(await handle('update:chunk', payload)));
}
