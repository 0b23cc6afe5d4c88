import {
  DEVICE_RECONNECTION,
  DeviceCredentials,
  DeviceSession,
  describeError,
  initialSessionView,
  type DeviceAdapters,
  type DeviceSessionView,
  type DeviceSocket,
} from '@flock/fl-core/device';
import { io } from 'socket.io-client';
import { DeviceStore } from '../storage/deviceStore.ts';
import type { BackendChoice } from '../worker/messages.ts';
import { socketTransportOptions } from '../socketTransport.ts';
import type { DeviceOptions } from './queryParams.ts';
import { downloadShard } from './shardDownload.ts';
import { TrainingClient } from './trainingClient.ts';

export type { ConnectionState } from '@flock/fl-core/device';

export interface DeviceView extends DeviceSessionView {
  federationId: string;
  deviceId: string | null;
  backend: BackendChoice | null;
  joined: boolean;
}

/**
 * One tab's device: IndexedDB and the training worker as the adapters of the shared
 * DeviceSession (fl-core), which speaks the protocol. The React hook only renders `view`.
 */
export class DeviceController {
  private view: DeviceView;
  private readonly listeners = new Set<() => void>();
  private readonly training = new TrainingClient();
  private store: DeviceStore | null = null;
  private session: DeviceSession | null = null;
  private disposed = false;
  private credentials: DeviceCredentials | null = null;

  constructor(private readonly options: DeviceOptions) {
    this.view = { ...initialSessionView(), federationId: options.federationId, deviceId: null, backend: null, joined: false };
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
      this.credentials = await this.deviceCredentials(this.store);
      const examplesStored = await this.store.examplesStored(this.options.federationId);
      if (this.disposed) return;
      this.update({ deviceId, examplesStored });
      const backend = await this.training.init(this.options.backend);
      if (this.disposed) return;
      this.update({ backend });
      if (this.options.autojoin) this.join();
    } catch (err) {
      const detail = `could not start: ${describeError(err)}`;
      if (!this.disposed) this.update({ state: 'error', detail, messages: [detail, ...this.view.messages] });
    }
  }

  /** Connects to the coordinator; a no-op until storage and the backend are ready, or once joined. */
  join(): void {
    const { joined, backend, deviceId, examplesStored } = this.view;
    if (joined || !backend || !deviceId || !this.store || this.disposed) return;
    this.update({ joined: true });
    const identity = { deviceId, federationId: this.options.federationId, backend: backend.backend, adapter: backend.adapter };
    this.session = new DeviceSession(identity, this.adapters(this.store), (view) => this.update(view), examplesStored);
    this.session.start();
  }

  dispose(): void {
    this.disposed = true;
    this.session?.close();
    this.training.terminate();
    this.store?.close();
    this.listeners.clear();
  }

  /** The device credential kept for this federation, else the join link's enrollment token. */
  private async deviceCredentials(store: DeviceStore): Promise<DeviceCredentials> {
    const federationId = this.options.federationId;
    const kept = await store.credential(federationId);
    return new DeviceCredentials(kept, this.options.enrollmentToken ?? null, (credential) => store.putCredential(federationId, credential));
  }

  private adapters(store: DeviceStore): DeviceAdapters {
    const federationId = this.options.federationId;
    const credentials = this.credentials ?? new DeviceCredentials();
    return {
      credentials,
      connect: (): DeviceSocket => io({ ...socketTransportOptions(), ...DEVICE_RECONNECTION, auth: credentials.socketAuth }),
      data: {
        // The shard is downloaded only if IndexedDB does not hold it already.
        async prepare(assignment, downloading, authHeaders) {
          if (assignment.kind !== 'mnist-shard') throw new Error('a browser device trains on an assigned shard, not on data of its own');
          if (!(await store.hasShard(assignment.shardId))) {
            downloading();
            await downloadShard(store, federationId, assignment, authHeaders);
          }
          return store.examplesStored(federationId);
        },
      },
      trainer: {
        train: async (job, onProgress) => {
          const result = await this.training.train({ ...job, weights: job.weights.slice().buffer }, onProgress);
          return { ...result, payload: new Uint8Array(result.payload) };
        },
      },
    };
  }

  private update(patch: Partial<DeviceView>): void {
    if (this.disposed) return;
    this.view = { ...this.view, ...patch };
    for (const listener of this.listeners) listener();
  }
}
