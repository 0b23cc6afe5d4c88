// Test doubles for DeviceSession: a Socket.IO connection driven by the test (it plays the
// coordinator), data that is always there, and a trainer whose rounds the test finishes.
import type { DeviceAdapters, TrainingJob, TrainingOutcome } from '../device/deviceAdapters.ts';
import type { DeviceSocket } from '../device/deviceSocket.ts';
import type { Ack, HelloReply, RoundStartMessage, UpdateMessage } from '../protocol/device.ts';

type Handler = (...args: never[]) => void;

export const FEDERATION = 'fed';

export function helloReply(status: Extract<HelloReply, { ok: true }>['status'], round: number): HelloReply {
  const dataset = { kind: 'mnist-shard', shardPath: '/shard/d', shardId: 'shard-1', numExamples: 10 } as const;
  return { ok: true, federationId: FEDERATION, model: 'mnist-mlp', dataset, status, round };
}

/** round:start for `round`; the model bytes are derived from the round unless given. */
export function roundStart(round: number, weights = new Uint8Array([round, 1, 2, 3])): RoundStartMessage {
  const config = { epochs: 1, batchSize: 10, learningRate: 0.1 };
  return { federationId: FEDERATION, round, model: 'mnist-mlp', config, deadline: 0, weights };
}

/** The device's connection as the coordinator's side sees it. */
export class FakeLink {
  connected = false;
  readonly statuses: string[] = [];
  readonly updates: UpdateMessage[] = [];
  hellos = 0;
  /** Emits attempted while disconnected: Socket.IO would buffer them and send them before hello. */
  emitsWhileDisconnected = 0;
  answerHello: () => HelloReply | Promise<HelloReply> = () => helloReply('waiting', 0);
  /** `null`: no answer (until the connection drops). */
  answerUpdate: (msg: UpdateMessage) => Ack | null = () => ({ ok: true });
  /** Query answers the device sent (query:answer), and how the coordinator acknowledges each. */
  readonly queryAnswers: unknown[] = [];
  answerQuery: (msg: unknown) => Ack | null = () => ({ ok: true });
  /** The model model:chunk serves, 4 bytes a chunk (null: refused), and the requests the device made. */
  servedModel: Uint8Array | null = null;
  readonly chunkRequests: { round: number; hash: string; offset: number }[] = [];
  private readonly handlers = new Map<string, Handler[]>();
  private readonly pendingAcks = new Set<(err: Error) => void>();
  readonly io = { on: (event: string, fn: Handler) => this.add(`io:${event}`, fn) };

  on(event: string, fn: Handler): this {
    this.add(event, fn);
    return this;
  }

  emit(event: string, payload: { state: string }): void {
    if (!this.connected) this.emitsWhileDisconnected++;
    else if (event === 'status') this.statuses.push(payload.state);
  }

  timeout(_ms: number) {
    return { emitWithAck: (event: string, msg: unknown) => this.request(event, msg) };
  }

  connect(): void {
    this.open();
  }

  disconnect(): void {
    this.drop('io client disconnect');
  }

  // ---- the test's side ----

  open(): void {
    this.connected = true;
    this.fire('connect');
  }

  /** The connection breaks: unanswered acks fail at once, as in socket.io-client 4.8. */
  drop(reason = 'transport close'): void {
    if (!this.connected) return;
    this.connected = false;
    for (const fail of [...this.pendingAcks]) fail(new Error('socket has been disconnected'));
    this.fire('disconnect', reason);
  }

  reconnectAttempt(attempt: number): void {
    this.fire('io:reconnect_attempt', attempt);
  }

  send(event: 'round:start' | 'federation:status' | 'round:abandoned' | 'query:ask', payload: unknown): void {
    this.fire(event, payload);
  }

  asSocket(): DeviceSocket {
    return this as unknown as DeviceSocket;
  }

  private request(event: string, msg: unknown): Promise<unknown> {
    if (!this.connected) {
      this.emitsWhileDisconnected++;
      return Promise.reject(new Error('emitted while disconnected'));
    }
    return new Promise((resolve, reject) => {
      const fail = (err: Error) => {
        this.pendingAcks.delete(fail);
        reject(err);
      };
      this.pendingAcks.add(fail);
      void (async () => {
        let answer: unknown;
        if (event === 'hello') {
          this.hellos++;
          answer = await this.answerHello();
        } else if (event === 'model:chunk') {
          const request = msg as { round: number; hash: string; offset: number };
          this.chunkRequests.push(request);
          const served = this.servedModel;
          answer = served ? { ok: true, data: served.slice(request.offset, request.offset + 4) } : { ok: false, reason: 'no model is served' };
        } else if (event === 'query:answer') {
          this.queryAnswers.push(msg);
          answer = this.answerQuery(msg);
        } else {
          this.updates.push(msg as UpdateMessage);
          answer = this.answerUpdate(msg as UpdateMessage);
        }
        if (answer === null || !this.pendingAcks.has(fail)) return;
        this.pendingAcks.delete(fail);
        resolve(answer);
      })();
    });
  }

  private add(event: string, fn: Handler): void {
    this.handlers.set(event, [...(this.handlers.get(event) ?? []), fn]);
  }

  private fire(event: string, ...args: unknown[]): void {
    for (const fn of this.handlers.get(event) ?? []) (fn as (...a: unknown[]) => void)(...args);
  }
}

/** A trainer whose jobs wait until the test finishes them. */
export class FakeTrainer {
  readonly jobs: TrainingJob[] = [];
  private readonly running: { resolve: (outcome: TrainingOutcome) => void; reject: (err: Error) => void }[] = [];
  cancels = 0;

  train = (job: TrainingJob): Promise<TrainingOutcome> => {
    this.jobs.push(job);
    return new Promise((resolve, reject) => this.running.push({ resolve, reject }));
  };

  /** Finishes the oldest job still training with a small update. */
  finish(): void {
    const job = this.running.shift();
    if (!job) throw new Error('no training job is running');
    job.resolve({ payload: new Uint8Array(new ArrayBuffer(16)), numExamples: 10, loss: 0.5, accuracy: 0.8, numTensors: 4 });
  }

  /** Stops the oldest job still training, as a worker told to stop does. */
  cancel = (): void => {
    this.cancels++;
    this.running.shift()?.reject(new Error('training stopped'));
  };

  get training(): number {
    return this.running.length;
  }
}

export function fakeAdapters(link: FakeLink, trainer: FakeTrainer): DeviceAdapters & { downloads: () => number } {
  let downloads = 0;
  return {
    connect: () => link.asSocket(),
    data: {
      prepare: async (_assignment, downloading) => {
        if (downloads === 0) downloading();
        downloads++;
        return 10;
      },
    },
    trainer: { train: trainer.train, cancel: trainer.cancel },
    downloads: () => downloads,
  };
}

/** Lets queued promise callbacks and zero-delay timers run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
