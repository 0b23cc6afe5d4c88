import { contentHash, ModelChunkReply, RoundStartAnnouncement, type ModelDownload } from '../protocol/chunkedDownloadMessages.ts';
import { ChunkAssembly } from '../transfer/chunkAssembly.ts';
import { describeError, type DeviceSocket } from './deviceSocket.ts';

const CHUNK_TIMEOUT_MS = 30_000;

export type DownloadOutcome = { outcome: 'complete'; weights: Uint8Array } | { outcome: 'undelivered' | 'refused'; reason: string };

/**
 * Pulls a model announced with a download descriptor (protocol/chunkedDownloadMessages.ts), one acknowledged
 * chunk at a time. What arrived is kept across reconnects: the same model announced again (the
 * coordinator re-sends round:start after the hello) goes on from the offset held, and that newer
 * pull takes over from one stuck on the dead connection.
 */
export class ModelDownloader {
  private current: { key: string; assembly: ChunkAssembly } | null = null;
  private pulls = 0;

  constructor(
    private readonly socket: DeviceSocket,
    private readonly onProgress?: (received: number, total: number) => void,
  ) {}

  async pull(federationId: string, round: number, download: ModelDownload): Promise<DownloadOutcome> {
    const key = `${federationId}/${round}/${download.hash}/${download.totalBytes}`;
    if (this.current?.key !== key) this.current = { key, assembly: new ChunkAssembly(download.totalBytes) };
    const { assembly } = this.current;
    const pull = ++this.pulls;
    const superseded: DownloadOutcome = { outcome: 'undelivered', reason: 'a newer pull of the same model took over' };
    while (!assembly.complete) {
      // A request emitted while disconnected would be buffered and sent before the next hello.
      if (!this.socket.connected)
        return { outcome: 'undelivered', reason: `the connection dropped after ${assembly.received} of ${download.totalBytes} bytes` };
      const offset = assembly.received;
      let raw: unknown;
      try {
        raw = await this.socket.timeout(CHUNK_TIMEOUT_MS).emitWithAck('model:chunk', { federationId, round, hash: download.hash, offset });
      } catch (err) {
        return { outcome: 'undelivered', reason: `no reply to model:chunk: ${describeError(err)}` };
      }
      if (pull !== this.pulls) return superseded;
      const reply = ModelChunkReply.safeParse(raw);
      if (!reply.success) return { outcome: 'refused', reason: `malformed model:chunk reply: ${reply.error.message}` };
      if (!reply.data.ok) return { outcome: 'refused', reason: reply.data.reason };
      if (reply.data.data.byteLength === 0) return { outcome: 'refused', reason: `an empty chunk at byte ${offset}` };
      const accepted = assembly.accept(offset, reply.data.data);
      if (!accepted.ok) return { outcome: 'refused', reason: accepted.reason };
      this.onProgress?.(assembly.received, download.totalBytes);
    }
    if (pull !== this.pulls) return superseded;
    const weights = assembly.bytes();
    if (contentHash(weights) !== download.hash) {
      this.current = null;
      return { outcome: 'refused', reason: `the model's bytes hash to ${contentHash(weights)}, not the announced ${download.hash}` };
    }
    return { outcome: 'complete', weights };
  }
}

/**
 * A `round:start` listener: one carrying the model goes straight to `handle`; one carrying a download
 * descriptor is handed on, with the pulled model as its `weights`, once the model arrived (an
 * interrupted pull waits for the round to be announced again; a refused one is a notice).
 */
export function roundStartReceiver(socket: DeviceSocket, handle: (raw: unknown) => void, notice: (text: string) => void): (raw: unknown) => void {
  const downloader = new ModelDownloader(socket);
  return (raw) => {
    const parsed = RoundStartAnnouncement.safeParse(raw);
    if (!parsed.success || !parsed.data.download) return handle(raw);
    const { federationId, round, download } = parsed.data;
    void downloader.pull(federationId, round, download).then((result) => {
      const { download: _descriptor, ...announcement } = raw as Record<string, unknown>;
      if (result.outcome === 'complete') handle({ ...announcement, weights: result.weights });
      else if (result.outcome === 'refused') notice(`could not download the model of round ${round}: ${result.reason}`);
    });
  };
}
