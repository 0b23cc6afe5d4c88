import type { Socket } from 'socket.io-client';
import { connectDevice, helloFrom } from '../testing/deviceSockets.ts';
import type { Sender } from './socketArbitraries.ts';

const REPLY_TIMEOUT_MS = 5_000;

export type Reply = { kind: 'ack'; value: unknown } | { kind: 'protocol-error'; value: unknown } | { kind: 'silence' } | { kind: 'dropped' };

/** A reply is an error with a reason a person can read. */
export function isRefusal(value: unknown): boolean {
  const r = value as { ok?: unknown; reason?: unknown } | null;
  return typeof r === 'object' && r !== null && r.ok === false && typeof r.reason === 'string' && r.reason.trim() !== '';
}

/** The fuzz suite's connections: each sender's socket, (re)connected and greeted on demand. */
export class FuzzSockets {
  private readonly sockets = new Map<Sender, Socket>();
  /** The live federation's running round, as its round:start announced it. */
  liveRound = 1;

  constructor(
    private readonly url: string,
    private readonly liveFederation: string,
  ) {}

  /** Connects a sender; `demo` and `live` say hello first (their hello must be accepted). */
  async open(sender: Sender): Promise<Socket> {
    const existing = this.sockets.get(sender);
    if (existing?.connected) return existing;
    existing?.close();
    const socket = connectDevice(this.url, { reconnection: false });
    this.sockets.set(sender, socket);
    if (sender === 'live') socket.on('round:start', (msg: { round: number }) => (this.liveRound = msg.round));
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    if (sender !== 'stranger') {
      const federationId = sender === 'live' ? this.liveFederation : 'demo';
      const deviceId = `fuzz-${sender}-device`;
      const reply = await socket.timeout(REPLY_TIMEOUT_MS).emitWithAck('hello', helloFrom(deviceId, federationId));
      if (!(reply as { ok?: boolean }).ok) throw new Error(`hello of ${deviceId} refused: ${JSON.stringify(reply)}`);
    }
    return socket;
  }

  /**
   * Sends one event and waits for what comes back: the ack, or (for events the coordinator does not
   * ack, such as unknown ones) a protocol:error; silence and a dropped connection are reported as such.
   */
  async send(sender: Sender, event: string, payload: unknown): Promise<Reply> {
    const socket = await this.open(sender);
    return new Promise<Reply>((resolve) => {
      const done = (reply: Reply) => {
        clearTimeout(timer);
        socket.off('protocol:error', onError);
        socket.off('disconnect', onDrop);
        resolve(reply);
      };
      const onError = (value: { event?: unknown }) => {
        if (value?.event === event) done({ kind: 'protocol-error', value });
      };
      const onDrop = () => done({ kind: 'dropped' });
      const timer = setTimeout(() => done({ kind: 'silence' }), REPLY_TIMEOUT_MS);
      socket.on('protocol:error', onError);
      socket.once('disconnect', onDrop);
      socket.emit(event, payload, (value: unknown) => done({ kind: 'ack', value }));
    });
  }

  /** After a hello the coordinator accepted, the sender is someone else (a stranger no more, another device or federation): the next command reconnects it as it was. */
  forget(sender: Sender): void {
    this.sockets.get(sender)?.close();
    this.sockets.delete(sender);
  }

  close(): void {
    for (const s of this.sockets.values()) s.close();
    this.sockets.clear();
  }
}
