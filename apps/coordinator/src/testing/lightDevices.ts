import { decodeWeights, encodeWeights, FederationConfig, manifestSize, type Ack, type WeightsManifest } from '@flock/fl-core';
import { DeviceCredentials } from '@flock/fl-core/device';
import type { Socket } from 'socket.io-client';
import { connectDevice, helloFrom } from './deviceSockets.ts';

/**
 * A federation for light devices: CSV rows of their own on tabular-mlp, every device in every round, float32 both ways
 * (light devices do not quantize); `overrides` name the rest (id, name, rounds, devices, deadline, seed).
 */
export function lightDeviceFederation(overrides: {
  id: string;
  name: string;
  maxRounds: number;
  minDevices: number;
  deadlineMs: number;
  modelSeed: number;
}): FederationConfig {
  const { deadlineMs, ...named } = overrides;
  return FederationConfig.parse({
    ...named,
    model: 'tabular-mlp',
    dataset: { kind: 'device', schema: { type: 'csv', features: ['a', 'b', 'c'], label: 'kind', classes: ['x', 'y'] } },
    training: { epochs: 1, batchSize: 10, learningRate: 0.1 },
    clientsPerRound: 'all',
    deadline: { mode: 'fixed', ms: deadlineMs },
    quorum: 1,
    evalExamples: 1,
    codec: { uplink: 'float32', downlink: 'float32' },
  });
}

/** What a light device sends for a round: a delta of its own, the same whichever model it is sent. */
export type DeltaOf = (round: number, size: number) => Float32Array;

export interface LightDeviceOptions {
  federationId: string;
  deviceId: string;
  /** The examples it declares (its own data) and weighs its update with. */
  examples: number;
  delta: DeltaOf;
  /** How long it "trains" before answering a round:start. */
  answerAfterMs?: number;
}

/**
 * A device with no training: it says hello with its own data (no shard to download), and answers each
 * round:start with a precomputed delta after `answerAfterMs`. It reconnects and says hello again when
 * its coordinator goes away, and resends an update the coordinator asked it to send again later, as the
 * real device session does. For tests and benches of what coordinators do with many devices.
 */
export class LightDevice {
  /** Rounds whose update the coordinator acknowledged. */
  readonly acknowledged = new Set<number>();
  /** Why the coordinator refused its hellos or updates, oldest first. */
  readonly refusals: string[] = [];
  private manifest: WeightsManifest | null = null;
  private closed = false;
  private joined!: (outcome: Error | null) => void;
  private readonly ready = new Promise<void>((resolve, reject) => (this.joined = (err) => (err ? reject(err) : resolve())));

  private constructor(
    readonly socket: Socket,
    private readonly options: LightDeviceOptions,
    private readonly credentials: DeviceCredentials,
  ) {
    socket.on('connect', () => void this.hello());
    socket.once('connect_error', (err) => this.joined(err));
    socket.on('round:start', (msg: { round: number; weights?: Uint8Array }) => {
      if (msg.weights) this.manifest ??= decodeWeights(new Uint8Array(msg.weights)).manifest;
      setTimeout(() => void this.answer(msg.round), options.answerAfterMs ?? 0);
    });
  }

  /** Connected to `url` and registered with the federation. */
  static async join(url: string, options: LightDeviceOptions): Promise<LightDevice> {
    // Like a real device, it keeps the credential its first hello bound its id to and reconnects with it.
    const credentials = new DeviceCredentials();
    const socket = connectDevice(url, { reconnectionDelay: 200, reconnectionDelayMax: 1_000, auth: credentials.socketAuth });
    const device = new LightDevice(socket, options, credentials);
    await device.ready;
    return device;
  }

  close(): void {
    this.closed = true;
    this.socket.close();
  }

  private async hello(): Promise<void> {
    const { deviceId, federationId, examples } = this.options;
    const reply = (await this.socket.emitWithAck('hello', helloFrom(deviceId, federationId, { dataSource: { kind: 'own', numExamples: examples } }))) as
      { ok: true; credential?: string } | { ok: false; reason: string };
    if (reply.ok && reply.credential) await this.credentials.keep(reply.credential);
    if (!reply.ok) this.refusals.push(`hello: ${reply.reason}`);
    this.joined(reply.ok ? null : new Error(`${deviceId} was refused: ${reply.reason}`));
  }

  private async answer(round: number): Promise<void> {
    if (this.closed || !this.manifest) return;
    const { federationId, examples, delta } = this.options;
    const payload = encodeWeights(this.manifest, delta(round, manifestSize(this.manifest)), 'delta');
    const ack = (await this.socket
      .timeout(10_000)
      .emitWithAck('update', { federationId, round, numExamples: examples, metrics: { loss: 1, accuracy: 0.5 }, payload })
      .catch(() => null)) as Ack | null;
    if (ack && !ack.ok) this.refusals.push(`update for round ${round}: ${ack.reason}`);
    if (ack?.ok) this.acknowledged.add(round);
    else if (ack && 'retryAfterMs' in ack && ack.retryAfterMs !== undefined) setTimeout(() => void this.answer(round), ack.retryAfterMs);
  }
}
