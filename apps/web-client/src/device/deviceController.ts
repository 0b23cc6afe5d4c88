import {
  FederationStatusMessage,
  PROTOCOL_VERSION,
  ProtocolErrorMessage,
  RoundStartMessage,
  type DatasetAssignment,
  type DeviceState,
  type FederationStatus,
  type ParsedRoundStartMessage,
} from '@flock/fl-core/protocol';
import { DeviceStore } from '../storage/deviceStore.ts';
import type { BackendChoice } from '../worker/messages.ts';
import { connectDeviceSocket, sendHello, sendUpdate, type DeviceSocket } from './deviceSocket.ts';
import type { DeviceOptions } from './queryParams.ts';
import { downloadShard } from './shardDownload.ts';
import { TrainingClient } from './trainingClient.ts';

export type ConnectionState = 'not connected' | 'connecting' | 'connected' | 'reconnecting' | 'waiting for coordinator';

export interface DeviceView {
  federationId: string;
  deviceId: string | null;
  state: DeviceState;
  /** Why the device is in `error`, when it is. */
  detail: string | null;
  backend: BackendChoice | null;
  joined: boolean;
  connection: ConnectionState;
  federation: { status: FederationStatus; round: number; accuracy: number | null } | null;
  round: number | null;
  progress: { epoch: number; epochs: number; batch: number; batches: number } | null;
  localLoss: number | null;
  localAccuracy: number | null;
  roundsDone: number;
  bytesSent: number;
  examplesStored: number;
  /** Live tensors in the worker after the last round (steady from round to round when nothing leaks). */
  numTensors: number | null;
  /** Latest notices (refused updates, protocol errors), newest first. */
  messages: string[];
}

const MAX_MESSAGES = 6;
const SERVER_KICK_RETRY_MS = 2_000;

/**
 * One device: the socket, the training worker and local storage, and the state machine between
 * them (idle -> joining -> downloading-data -> waiting-for-round -> training -> uploading -> ...).
 * The React hook only renders `view`.
 */
export class DeviceController {
  private view: DeviceView;
  private readonly listeners = new Set<() => void>();
  private readonly training = new TrainingClient();
  private store: DeviceStore | null = null;
  private socket: DeviceSocket | null = null;
  private helloAccepted = false;
  private shard: { id: string; ready: Promise<void> } | null = null;
  private shardReady = false;
  private busy = false;
  private nextRound: ParsedRoundStartMessage | null = null;
  private disposed = false;

  constructor(private readonly options: DeviceOptions) {
    this.view = {
      federationId: options.federationId,
      deviceId: null,
      state: 'idle',
      detail: null,
      backend: null,
      joined: false,
      connection: 'not connected',
      federation: null,
      round: null,
      progress: null,
      localLoss: null,
      localAccuracy: null,
      roundsDone: 0,
      bytesSent: 0,
      examplesStored: 0,
      numTensors: null,
      messages: [],
    };
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getView = (): DeviceView => this.view;

  /** Opens storage and starts the worker's backend; joins at once with `autojoin`. */
  async start(): Promise<void> {
    try {
      this.store = await DeviceStore.open();
      const deviceId = await this.store.deviceId();
      const examplesStored = await this.store.examplesStored(this.options.federationId);
      if (this.disposed) return;
      this.update({ deviceId, examplesStored });
      const backend = await this.training.init(this.options.backend);
      if (this.disposed) return;
      this.update({ backend });
      if (this.options.autojoin) this.join();
    } catch (err) {
      if (!this.disposed) this.setState('error', `could not start: ${describe(err)}`);
    }
  }

  /** Connects to the coordinator; a no-op until storage and the backend are ready, or once joined. */
  join(): void {
    if (this.view.joined || !this.view.backend || !this.view.deviceId || this.disposed) return;
    this.update({ joined: true, connection: 'connecting' });
    this.setState('joining');
    const socket = connectDeviceSocket();
    this.socket = socket;
    socket.on('connect', () => void this.onConnect());
    socket.on('disconnect', (reason) => {
      this.helloAccepted = false;
      this.update({ connection: reason === 'io client disconnect' ? 'not connected' : 'reconnecting' });
      // The coordinator closed the connection itself: Socket.IO will not retry, so we do.
      if (reason === 'io server disconnect') setTimeout(() => !this.disposed && socket.connect(), SERVER_KICK_RETRY_MS);
    });
    socket.on('connect_error', () => this.update({ connection: 'waiting for coordinator' }));
    socket.io.on('reconnect_attempt', () => this.update({ connection: 'reconnecting' }));
    socket.on('round:start', (raw) => this.onRoundStart(raw));
    socket.on('federation:status', (raw) => {
      const parsed = FederationStatusMessage.safeParse(raw);
      if (!parsed.success || parsed.data.federationId !== this.options.federationId) return;
      const { status, round, accuracy } = parsed.data;
      this.update({ federation: { status, round, accuracy } });
    });
    socket.on('protocol:error', (raw) => {
      const parsed = ProtocolErrorMessage.safeParse(raw);
      if (parsed.success) this.notice(`coordinator refused ${parsed.data.event}: ${parsed.data.reason}`);
    });
  }

  dispose(): void {
    this.disposed = true;
    this.socket?.disconnect();
    this.training.terminate();
    this.store?.close();
    this.listeners.clear();
  }

  private async onConnect(): Promise<void> {
    const socket = this.socket;
    const { deviceId, backend } = this.view;
    if (!socket || !deviceId || !backend) return;
    this.helloAccepted = false;
    this.update({ connection: 'connected' });
    const reply = await sendHello(socket, {
      protocolVersion: PROTOCOL_VERSION,
      deviceId,
      federationId: this.options.federationId,
      backend: backend.backend,
      adapter: backend.adapter,
    });
    if (!reply.ok) {
      this.setState('error', `coordinator refused hello: ${reply.reason}`);
      return;
    }
    this.helloAccepted = true;
    const accuracy = this.view.federation?.accuracy ?? null;
    this.update({ federation: { status: reply.status, round: reply.round, accuracy } });
    if (this.busy) {
      this.emitStatus(); // a round in progress carries on across the reconnect
      return;
    }
    try {
      await this.ensureShard(reply.dataset);
    } catch (err) {
      this.shard = null;
      this.setState('error', describe(err));
      return;
    }
    this.setState('waiting-for-round', null, true);
    this.runNextRound();
  }

  /** Downloads the shard only if IndexedDB does not hold it already; concurrent calls share one fetch. */
  private ensureShard(assignment: DatasetAssignment): Promise<void> {
    if (this.shard?.id === assignment.shardId) return this.shard.ready;
    const store = this.store;
    if (!store) return Promise.reject(new Error('storage is not open'));
    this.shardReady = false;
    const ready = (async () => {
      if (!(await store.hasShard(assignment.shardId))) {
        this.setState('downloading-data');
        await downloadShard(store, this.options.federationId, assignment);
      }
      this.update({ examplesStored: await store.examplesStored(this.options.federationId) });
      this.shardReady = true;
    })();
    this.shard = { id: assignment.shardId, ready };
    return ready;
  }

  private onRoundStart(raw: unknown): void {
    const parsed = RoundStartMessage.safeParse(raw);
    if (!parsed.success) {
      this.notice(`ignored a malformed round:start (${parsed.error.issues[0]?.message ?? 'invalid'})`);
      return;
    }
    if (parsed.data.federationId !== this.options.federationId) return;
    if (!this.nextRound || parsed.data.round >= this.nextRound.round) this.nextRound = parsed.data;
    this.runNextRound();
  }

  /** Trains the latest announced round, if the device is free and holds its shard. */
  private runNextRound(): void {
    const msg = this.nextRound;
    if (!msg || this.busy || !this.shardReady || !this.helloAccepted || !this.shard) return;
    this.nextRound = null;
    void this.runRound(msg, this.shard.id);
  }

  private async runRound(msg: ParsedRoundStartMessage, shardId: string): Promise<void> {
    this.busy = true;
    this.update({ round: msg.round, progress: null });
    this.setState('training');
    try {
      const result = await this.training.train(
        { round: msg.round, model: msg.model, weights: msg.weights.slice().buffer, config: msg.config, shardId },
        (p) => this.update({ progress: p, localLoss: p.loss }),
      );
      this.update({ localLoss: result.loss, localAccuracy: result.accuracy, numTensors: result.numTensors });
      this.setState('uploading');
      const payload = new Uint8Array(result.payload);
      const socket = this.socket;
      const ack = socket
        ? await sendUpdate(socket, {
            federationId: this.options.federationId,
            round: msg.round,
            numExamples: result.numExamples,
            metrics: { loss: result.loss, accuracy: result.accuracy },
            payload,
          })
        : { ok: false as const, reason: 'not connected' };
      if (ack.ok) {
        this.update({ roundsDone: this.view.roundsDone + 1, bytesSent: this.view.bytesSent + payload.byteLength });
      } else {
        this.notice(`update for round ${msg.round} was refused: ${ack.reason}`);
      }
      this.setState('waiting-for-round');
    } catch (err) {
      this.setState('error', `training round ${msg.round} failed: ${describe(err)}`);
    } finally {
      this.busy = false;
    }
    this.runNextRound();
  }

  /** Updates the state and tells the coordinator when it changed (or always, with `announce`). */
  private setState(state: DeviceState, detail: string | null = null, announce = false): void {
    const changed = state !== this.view.state || detail !== this.view.detail;
    this.update({ state, detail });
    if (detail) this.notice(detail);
    if (changed || announce) this.emitStatus();
  }

  private emitStatus(): void {
    if (!this.socket?.connected || !this.helloAccepted) return;
    const { state, detail } = this.view;
    this.socket.emit('status', detail ? { state, detail: detail.slice(0, 500) } : { state });
  }

  private notice(message: string): void {
    this.update({ messages: [message, ...this.view.messages].slice(0, MAX_MESSAGES) });
  }

  private update(patch: Partial<DeviceView>): void {
    if (this.disposed) return;
    this.view = { ...this.view, ...patch };
    for (const listener of this.listeners) listener();
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
