/** What a chunk did: `received` bytes are now in place, in order, from the start. */
export type ChunkOutcome = { ok: true; received: number } | { ok: false; reason: string };

/**
 * One payload arriving in order, in chunks. Memory is taken as bytes arrive, not when the size is
 * announced: a peer that announces a large payload and sends nothing holds nothing. A chunk that
 * repeats bytes already held (its ack was lost) changes nothing; one that would leave a gap or run
 * past the end is refused with the reason.
 */
export class ChunkAssembly {
  private readonly parts: Uint8Array[] = [];
  private held = 0;

  constructor(readonly totalBytes: number) {
    if (!Number.isInteger(totalBytes) || totalBytes < 1) throw new RangeError(`a payload of ${totalBytes} bytes cannot be assembled`);
  }

  get received(): number {
    return this.held;
  }

  get complete(): boolean {
    return this.held === this.totalBytes;
  }

  accept(offset: number, data: Uint8Array): ChunkOutcome {
    const end = offset + data.byteLength;
    if (end > this.totalBytes) {
      return { ok: false, reason: `chunk at byte ${offset} of ${data.byteLength} bytes runs past the announced ${this.totalBytes} bytes` };
    }
    if (offset > this.held) return { ok: false, reason: `chunk at byte ${offset} leaves a gap: ${this.held} bytes have arrived; send from there` };
    if (end > this.held) {
      // A copy: the chunk may be a view into a larger message buffer that should not stay alive.
      this.parts.push(data.slice(this.held - offset));
      this.held = end;
    }
    return { ok: true, received: this.held };
  }

  /** The whole payload, once complete. */
  bytes(): Uint8Array<ArrayBuffer> {
    if (!this.complete) throw new Error(`only ${this.held} of ${this.totalBytes} bytes have arrived`);
    const out = new Uint8Array(this.totalBytes);
    let at = 0;
    for (const part of this.parts) {
      out.set(part, at);
      at += part.byteLength;
    }
    return out;
  }
}
