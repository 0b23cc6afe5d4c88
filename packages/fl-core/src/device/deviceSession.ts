import {
  FederationStatusMessage,
  PROTOCOL_VERSION,
  ProtocolErrorMessage,
  RoundStartMessage,
  type DatasetAssignment,
  type DeviceState,
  type OwnDataAssignment,
  type ParsedRoundStartMessage,
} from '../protocol/messages.ts';
import {
  initialSessionView,
  type DeviceAdapters,
  type DeviceIdentity,
  type DeviceSessionView,
} from './deviceAdapters.ts';
import { describeError, sendHello, sendUpdate, type DeviceSocket } from './deviceSocket.ts';

const MAX_MESSAGES = 6;
const SERVER_KICK_RETRY_MS = 2_000;

/**
 * One device's side of the protocol, the same in a tab and in Node: hello on every (re)connect,
 * the data fetched once, then round:start -> train -> update, with the state reported as it changes
 * (joining -> downloading-data -> waiting-for-round -> training -> uploading -> ...).
 * Platform work (socket, storage, training) goes through the injected adapters.
 */
export class DeviceSession {
  private view: DeviceSessionView;
  private socket: DeviceSocket | null = null;
  private helloAccepted = false;
  private data: { id: string; ready: Promise<void> } | null = null;
  private dataReady = false;
  private busy = false;
  private nextRound: ParsedRoundStartMessage | null = null;
  private closed = false;

  constructor(
    private readonly identity: DeviceIdentity,
    private readonly adapters: DeviceAdapters,
    private readonly onChange: (view: DeviceSessionView) => void = () => {},
    examplesStored = 0,
  ) {
    this.view = initialSessionView(examplesStored);
  }

  /** Connects; Socket.IO reconnects by itself, and the session says hello again each time. */
  start(): void {
    if (this.socket || this.closed) return;
    this.update({ connection: 'connecting' });
    this.setState('joining');
    const socket = this.adapters.connect();
    this.socket = socket;
    socket.on('connect', () => void this.onConnect());
    socket.on('disconnect', (reason) => {
      this.helloAccepted = false;
      this.update({ connection: reason === 'io client disconnect' ? 'not connected' : 'reconnecting' });
      // The coordinator closed the connection itself: Socket.IO will not retry, so we do.
      if (reason === 'io server disconnect') setTimeout(() => !this.closed && socket.connect(), SERVER_KICK_RETRY_MS);
    });
    socket.on('connect_error', () => this.update({ connection: 'waiting for coordinator' }));
    socket.io.on('reconnect_attempt', () => this.update({ connection: 'reconnecting' }));
    socket.on('round:start', (raw) => this.onRoundStart(raw));
    socket.on('federation:status', (raw) => {
      const parsed = FederationStatusMessage.safeParse(raw);
      if (!parsed.success || parsed.data.federationId !== this.identity.federationId) return;
      const { status, round, accuracy } = parsed.data;
      this.update({ federation: { status, round, accuracy } });
    });
    socket.on('protocol:error', (raw) => {
      const parsed = ProtocolErrorMessage.safeParse(raw);
      if (parsed.success) this.notice(`coordinator refused ${parsed.data.event}: ${parsed.data.reason}`);
    });
  }

  close(): void {
    this.closed = true;
    this.socket?.disconnect();
  }

  private async onConnect(): Promise<void> {
    const socket = this.socket;
    if (!socket) return;
    this.helloAccepted = false;
    this.update({ connection: 'connected' });
    const { deviceId, federationId, backend, adapter, dataSource } = this.identity;
    const reply = await sendHello(socket, {
      protocolVersion: PROTOCOL_VERSION,
      deviceId,
      federationId,
      backend,
      adapter,
      ...(dataSource ? { dataSource } : {}),
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
      await this.ensureData(reply.dataset);
    } catch (err) {
      this.data = null;
      this.setState('error', describeError(err));
      return;
    }
    this.setState('waiting-for-round', null, true);
    this.runNextRound();
  }

  /** Prepares the data once per shard id; concurrent calls share one preparation. */
  private ensureData(assignment: DatasetAssignment | OwnDataAssignment): Promise<void> {
    if (this.data?.id === assignment.shardId) return this.data.ready;
    this.dataReady = false;
    const ready = (async () => {
      const examples = await this.adapters.data.prepare(assignment, () => this.setState('downloading-data'));
      this.update({ examplesStored: examples });
      this.dataReady = true;
    })();
    this.data = { id: assignment.shardId, ready };
    return ready;
  }

  private onRoundStart(raw: unknown): void {
    const parsed = RoundStartMessage.safeParse(raw);
    if (!parsed.success) {
      this.notice(`ignored a malformed round:start (${parsed.error.issues[0]?.message ?? 'invalid'})`);
      return;
    }
    if (parsed.data.federationId !== this.identity.federationId) return;
    if (!this.nextRound || parsed.data.round >= this.nextRound.round) this.nextRound = parsed.data;
    this.runNextRound();
  }

  /** Trains the latest announced round, if the device is free and holds its data. */
  private runNextRound(): void {
    const msg = this.nextRound;
    if (!msg || this.busy || !this.dataReady || !this.helloAccepted || !this.data) return;
    this.nextRound = null;
    void this.runRound(msg, this.data.id);
  }

  private async runRound(msg: ParsedRoundStartMessage, shardId: string): Promise<void> {
    this.busy = true;
    this.update({ round: msg.round, progress: null });
    this.setState('training');
    try {
      const result = await this.adapters.trainer.train(
        { round: msg.round, model: msg.model, weights: msg.weights, config: msg.config, shardId },
        ({ loss, ...progress }) => this.update({ progress, localLoss: loss }),
      );
      this.update({ localLoss: result.loss, localAccuracy: result.accuracy, numTensors: result.numTensors });
      this.setState('uploading');
      const socket = this.socket;
      const ack = socket
        ? await sendUpdate(socket, {
            federationId: this.identity.federationId,
            round: msg.round,
            numExamples: result.numExamples,
            metrics: { loss: result.loss, accuracy: result.accuracy },
            payload: result.payload,
          })
        : { ok: false as const, reason: 'not connected' };
      if (ack.ok) {
        this.update({ roundsDone: this.view.roundsDone + 1, bytesSent: this.view.bytesSent + result.payload.byteLength });
      } else {
        this.notice(`update for round ${msg.round} was refused: ${ack.reason}`);
      }
      this.setState('waiting-for-round');
    } catch (err) {
      this.setState('error', `training round ${msg.round} failed: ${describeError(err)}`);
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

  private update(patch: Partial<DeviceSessionView>): void {
    if (this.closed) return;
    this.view = { ...this.view, ...patch };
    this.onChange(this.view);
  }
}
