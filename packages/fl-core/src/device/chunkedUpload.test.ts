import { describe, expect, it, vi } from 'vitest';
import type { ChunkAck } from '../protocol/chunkedUploadMessages.ts';
import { ChunkAssembly } from '../transfer/chunkAssembly.ts';
import { uploadUpdate } from './chunkedUpload.ts';
import type { DeviceSocket } from './deviceSocket.ts';

const payload = Uint8Array.from({ length: 1000 }, (_, i) => i % 251);
const msg = { federationId: 'fed', round: 1, numExamples: 5, metrics: { loss: 0.1, accuracy: 0.5 }, payload };

/** A coordinator that assembles what it gets and loses the link after `dropAfter` chunks. */
function fakeSocket(dropAfter = Number.POSITIVE_INFINITY, busyBegins = 0) {
  const sent: { event: string; offset?: number; bytes?: number }[] = [];
  let assembly: ChunkAssembly | null = null;
  let chunks = 0;
  const socket = {
    connected: true,
    timeout: () => ({
      async emitWithAck(event: string, body: { totalBytes?: number; offset?: number; data?: Uint8Array; payload?: Uint8Array }): Promise<unknown> {
        sent.push({ event, offset: body.offset, bytes: body.data?.byteLength ?? body.payload?.byteLength });
        if (!socket.connected) throw new Error('disconnected');
        if (event === 'update') return { ok: true };
        if (event === 'update:begin') {
          if (busyBegins-- > 0) return { ok: false, reason: 'upload budget taken', retryAfterMs: 2_000 } satisfies ChunkAck;
          assembly ??= new ChunkAssembly(body.totalBytes!);
          return { ok: true, received: assembly.received, done: assembly.complete } satisfies ChunkAck;
        }
        const outcome = assembly!.accept(body.offset!, body.data!);
        if (++chunks === dropAfter) socket.connected = false; // the ack arrives, then the link goes
        return outcome.ok ? { ...outcome, done: assembly!.complete } : outcome;
      },
    }),
  };
  return { socket: socket as unknown as DeviceSocket & { connected: boolean }, sent, assembled: () => assembly };
}

describe('uploadUpdate', () => {
  it('sends an update that fits one chunk as one message', async () => {
    const { socket, sent } = fakeSocket();
    expect(await uploadUpdate(socket, msg, { chunkBytes: 1000 })).toEqual({ outcome: 'accepted' });
    expect(sent).toEqual([{ event: 'update', offset: undefined, bytes: 1000 }]);
  });

  it('sends a larger one in acknowledged chunks and resumes after a dropped link without resending', async () => {
    const { socket, sent, assembled } = fakeSocket(3);
    const progress: number[] = [];
    const first = await uploadUpdate(socket, msg, { chunkBytes: 128, onProgress: (received) => progress.push(received) });
    expect(first).toEqual({ outcome: 'undelivered', reason: 'the connection dropped after 384 of 1000 bytes' });
    socket.connected = true;
    expect(await uploadUpdate(socket, msg, { chunkBytes: 128 })).toEqual({ outcome: 'accepted' });
    const offsets = sent.filter((s) => s.event === 'update:chunk').map((s) => s.offset);
    expect(offsets).toEqual([0, 128, 256, 384, 512, 640, 768, 896]);
    expect(progress).toEqual([0, 128, 256, 384]);
    expect(assembled()!.bytes()).toEqual(payload);
  });

  it('waits and begins again when the coordinator is out of upload budget, instead of giving up', async () => {
    vi.useFakeTimers();
    try {
      const { socket, sent, assembled } = fakeSocket(Number.POSITIVE_INFINITY, 2);
      const delivery = uploadUpdate(socket, msg, { chunkBytes: 400 });
      await vi.advanceTimersByTimeAsync(4_000);
      expect(await delivery).toEqual({ outcome: 'accepted' });
      expect(sent.filter((s) => s.event === 'update:begin')).toHaveLength(3);
      expect(assembled()?.bytes()).toEqual(payload);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('an update refused for now (the coordinator is shutting down)', () => {
  /** Answers `update` with a refusal for now `closingAnswers` times, dropping the link after the last one when `drops`. */
  function closingCoordinator(closingAnswers: number, drops: boolean) {
    let asked = 0;
    const socket = {
      connected: true,
      timeout: () => ({
        async emitWithAck(): Promise<unknown> {
          if (++asked > closingAnswers) return { ok: true };
          if (drops && asked === closingAnswers) setTimeout(() => (socket.connected = false), 500);
          return { ok: false, reason: 'The coordinator is shutting down', retryAfterMs: 1_000 };
        },
      }),
    };
    return { socket: socket as unknown as DeviceSocket & { connected: boolean }, asked: () => asked };
  }

  it('is kept to send after reconnecting when the link drops meanwhile, not given up as refused', async () => {
    vi.useFakeTimers();
    try {
      const { socket, asked } = closingCoordinator(1, true);
      const delivery = uploadUpdate(socket, msg, { chunkBytes: 1000 });
      await vi.advanceTimersByTimeAsync(1_000);
      expect(await delivery).toEqual({ outcome: 'undelivered', reason: 'The coordinator is shutting down' });
      expect(asked()).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('is sent again after the wait while the link holds', async () => {
    vi.useFakeTimers();
    try {
      const { socket, asked } = closingCoordinator(2, false);
      const delivery = uploadUpdate(socket, msg, { chunkBytes: 1000 });
      await vi.advanceTimersByTimeAsync(2_000);
      expect(await delivery).toEqual({ outcome: 'accepted' });
      expect(asked()).toBe(3);
    } finally {
      vi.useRealTimers();
    }
  });
});
