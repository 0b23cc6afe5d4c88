import { describe, expect, it } from 'vitest';
import { contentHash, type ModelChunkReply, type ModelDownload } from '../protocol/chunkedDownloadMessages.ts';
import { ModelDownloader, roundStartReceiver } from './chunkedDownload.ts';
import type { DeviceSocket } from './deviceSocket.ts';

const model = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) % 251);
const download: ModelDownload = { totalBytes: 1000, hash: contentHash(model), chunkBytes: 128 };

/** A coordinator serving slices of `served`; the link goes after `dropAfter` replies. */
function fakeSocket(served: Uint8Array = model, dropAfter = Number.POSITIVE_INFINITY, refuse?: string) {
  const offsets: number[] = [];
  const socket = {
    connected: true,
    timeout: () => ({
      async emitWithAck(_event: string, body: { offset: number }): Promise<ModelChunkReply> {
        offsets.push(body.offset);
        if (!socket.connected) throw new Error('disconnected');
        if (offsets.length === dropAfter) socket.connected = false; // the reply arrives, then the link goes
        if (refuse) return { ok: false, reason: refuse };
        return { ok: true, data: served.slice(body.offset, body.offset + 128) };
      },
    }),
  };
  return { socket: socket as unknown as DeviceSocket & { connected: boolean }, offsets };
}

describe('ModelDownloader', () => {
  it('pulls a model chunk by chunk and after a dropped link goes on from the offset it holds', async () => {
    const { socket, offsets } = fakeSocket(model, 3);
    const progress: number[] = [];
    const downloader = new ModelDownloader(socket, (received) => progress.push(received));
    expect(await downloader.pull('fed', 2, download)).toEqual({ outcome: 'undelivered', reason: 'the connection dropped after 384 of 1000 bytes' });
    socket.connected = true;
    const done = await downloader.pull('fed', 2, download);
    expect(done).toEqual({ outcome: 'complete', weights: model });
    expect(offsets).toEqual([0, 128, 256, 384, 512, 640, 768, 896]);
    expect(progress.slice(0, 3)).toEqual([128, 256, 384]);
  });

  it('refuses bytes that do not hash to the announced model, and starts over on the next pull', async () => {
    const tampered = model.slice();
    tampered[500] = tampered[500]! ^ 1;
    const { socket, offsets } = fakeSocket(tampered);
    const downloader = new ModelDownloader(socket);
    expect(await downloader.pull('fed', 2, download)).toEqual({
      outcome: 'refused',
      reason: `the model's bytes hash to ${contentHash(tampered)}, not the announced ${download.hash}`,
    });
    await downloader.pull('fed', 2, download);
    expect(offsets.filter((o) => o === 0)).toHaveLength(2);
  });

  it("stops with the coordinator's reason when it refuses a chunk", async () => {
    const { socket } = fakeSocket(model, Number.POSITIVE_INFINITY, 'round 2 is not the round being served (round 3)');
    expect(await new ModelDownloader(socket).pull('fed', 2, download)).toEqual({
      outcome: 'refused',
      reason: 'round 2 is not the round being served (round 3)',
    });
  });
});

describe('roundStartReceiver', () => {
  const announcement = { federationId: 'fed', round: 2, model: 'mnist-mlp', config: { epochs: 1, batchSize: 10, learningRate: 0.1 }, deadline: 0 };

  it('hands a round:start carrying its model straight on, and one carrying a descriptor once the model arrived', async () => {
    const { socket } = fakeSocket();
    const handled: unknown[] = [];
    const receive = roundStartReceiver(
      socket,
      (raw) => handled.push(raw),
      () => {},
    );
    const inline = { ...announcement, weights: model };
    receive(inline);
    expect(handled).toEqual([inline]);
    receive({ ...announcement, download });
    await expect.poll(() => handled.length).toBe(2);
    expect(handled[1]).toEqual({ ...announcement, weights: model });
  });

  it('says why a download was refused', async () => {
    const { socket } = fakeSocket(model, Number.POSITIVE_INFINITY, 'offset 0 is past the model');
    const notices: string[] = [];
    const receive = roundStartReceiver(
      socket,
      () => expect.unreachable(),
      (text) => notices.push(text),
    );
    receive({ ...announcement, download });
    await expect.poll(() => notices).toEqual(['could not download the model of round 2: offset 0 is past the model']);
  });
});
