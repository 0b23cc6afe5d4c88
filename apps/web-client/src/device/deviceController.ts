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
import { describeProblems, heldOutCount } from '@flock/fl-core/data';
import type { DatasetConfig } from '@flock/fl-core/config';
import { io } from 'socket.io-client';
import { DeviceStore } from '../storage/deviceStore.ts';
import type { EngineStatus } from './engineStatus.ts';
import { socketTransportOptions } from '../socketTransport.ts';
import type { DeviceOptions } from './queryParams.ts';
import { fetchDataset, ownExamplesHeld, storageUsed } from './federationDataset.ts';
import { fetchFederationModel } from './federationModelRef.ts';
import type { LocalExample } from '../tryModel/TryModel.tsx';
import { heldData, pickLocalExample } from './localExample.ts';
import { importExamples } from './ownDataImport.ts';
import { downloadShard } from './shardDownload.ts';
import { TrainingClient } from './trainingClient.ts';

export type { ConnectionState } from '@flock/fl-core/device';

export interface DeviceView extends DeviceSessionView {
  federationId: string;
  deviceId: string | null;
  /** Choosing the training engine runs while the person reads the page: Join never waits for it. */
  engine: EngineStatus;
  /** Join was pressed (or `autojoin`): the session starts as soon as the engine is ready. */
  joined: boolean;
  /** The federation's dataset, asked of the coordinator on start; null until known (or if it could not say). */
  dataset: DatasetConfig | null;
  /** Examples a person imported for this federation (device-data federations), held out ones included. */
  ownExamples: number;
  /** What this origin stores (navigator.storage.estimate), in bytes; null where the browser does not say. */
  storageUsed: number | null;
  /** The outcome of the last import or delete, in words. */
  importNotice: { ok: boolean; text: string } | null;
  importing: boolean;
  /** GPU bytes the worker's backend held after the last round (null: none yet, or not a GPU backend). */
  gpuBytes: number | null;
}

/**
 * One tab's device: IndexedDB and the training worker as the adapters of the shared
 * DeviceSession (fl-core), which speaks the protocol. The React hook only renders `view`.
 */
export class DeviceController {
  private view: DeviceView;
  private readonly listeners = new Set<() => void>();
  /** Created once Join is enabled: loading tfjs in the worker would otherwise compete with the page for the CPU. */
  private training: TrainingClient | null = null;
  private store: DeviceStore | null = null;
  private session: DeviceSession | null = null;
  private disposed = false;
  private credentials: DeviceCredentials | null = null;

  constructor(private readonly options: DeviceOptions) {
    this.view = {
      ...initialSessionView(),
      federationId: options.federationId,
      deviceId: null,
      engine: { phase: 'starting' },
      joined: false,
      dataset: null,
      ownExamples: 0,
      storageUsed: null,
      importNotice: null,
      importing: false,
      gpuBytes: null,
    };
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getView = (): DeviceView => this.view;

  /** Opens storage (Join is ready then), then chooses the worker's backend; joins at once with `autojoin`. */
  async start(): Promise<void> {
    try {
      const store = await DeviceStore.open();
      this.store = store;
      // Join waits for these, so they run side by side.
      const [deviceId, credentials, examplesStored, dataset] = await Promise.all([
        store.deviceId(),
        this.deviceCredentials(store),
        store.examplesStored(this.options.federationId),
        fetchDataset(this.options.federationId),
      ]);
      this.credentials = credentials;
      const ownExamples = await ownExamplesHeld(store, this.options.federationId, dataset);
      if (this.disposed) return;
      this.update({ deviceId, examplesStored, dataset, ownExamples });
      if (this.options.autojoin) this.join();
      this.update({ storageUsed: await storageUsed() });
    } catch (err) {
      const detail = `this page could not open its storage (${describeError(err)}): reload it, or allow this site to store data`;
      if (!this.disposed) this.update({ state: 'error', detail, messages: [detail, ...this.view.messages] });
      return;
    }
    await this.startEngine();
  }

  /** Chooses the backend (measuring it on first use), then starts the session if Join was pressed meanwhile. */
  private async startEngine(): Promise<void> {
    try {
      const model = (await fetchFederationModel(this.options.federationId)) ?? undefined;
      if (this.disposed) return;
      this.training = new TrainingClient();
      const choice = await this.training.init(this.options.backend, model, ({ backend, candidates }) =>
        this.update({ engine: { phase: 'measuring', backend, candidates } }),
      );
      this.update({ engine: { phase: 'ready', choice } });
      if (this.view.joined) this.startSession();
    } catch (err) {
      this.update({ engine: { phase: 'failed', reason: describeError(err) } });
    }
  }

  /** Joins: at once when the engine is ready, else as soon as it is. A no-op until storage is open, or once joined. */
  join(): void {
    const { joined, deviceId, dataset, engine } = this.view;
    if (joined || !deviceId || !this.store || this.disposed || engine.phase === 'failed') return;
    if (dataset?.kind === 'device' && this.ownTrainingExamples() === 0) {
      this.update({ importNotice: { ok: false, text: 'Import your examples before joining: this federation trains on data from its devices.' } });
      return;
    }
    this.update({ joined: true });
    if (engine.phase === 'ready') this.startSession();
  }

  private ownTrainingExamples(): number | null {
    const { dataset, ownExamples } = this.view;
    return dataset?.kind === 'device' ? ownExamples - heldOutCount(ownExamples, dataset.testFraction) : null;
  }

  private startSession(): void {
    const { deviceId, examplesStored, engine } = this.view;
    if (this.session || !deviceId || !this.store || !this.training || engine.phase !== 'ready') return;
    const own = this.ownTrainingExamples();
    const identity = {
      deviceId,
      federationId: this.options.federationId,
      backend: engine.choice.backend,
      adapter: engine.choice.adapter,
      platform: 'tab' as const,
      ...(own !== null ? { dataSource: { kind: 'own' as const, numExamples: own } } : {}),
    };
    this.session = new DeviceSession(identity, this.adapters(this.store, this.training), (view) => this.update(view), examplesStored);
    this.session.start();
  }

  /** Checks the picked files against the federation's schema and keeps their examples in IndexedDB. */
  async importFiles(files: File[]): Promise<void> {
    const { dataset, importing } = this.view;
    if (!this.store || dataset?.kind !== 'device' || importing) return;
    this.update({ importing: true, importNotice: null });
    try {
      const result = await importExamples(this.store, this.options.federationId, dataset.schema, files);
      const importNotice = result.ok
        ? { ok: true, text: `imported ${result.added} examples; ${result.held} stored` }
        : { ok: false, text: `refused: ${describeProblems(result)}` };
      this.update({ importNotice, ownExamples: result.ok ? result.held : this.view.ownExamples, storageUsed: await storageUsed() });
    } catch (err) {
      this.update({ importNotice: { ok: false, text: `import failed: ${describeError(err)}` } });
    } finally {
      this.update({ importing: false });
    }
  }

  /** One example this device holds, for the try-the-model panel. */
  readonly pickExample = async (): Promise<LocalExample | null> =>
    this.store ? pickLocalExample(this.store, this.options.federationId, this.view.dataset) : null;

  /** What the try-the-model panel fetches the global model with: this device's credential, else its enrollment token. */
  readonly modelToken = (): Promise<string | null> => Promise.resolve(this.credentials?.current() ?? this.options.enrollmentToken ?? null);

  async deleteOwnExamples(): Promise<void> {
    if (!this.store) return;
    await this.store.deleteOwnExamples(this.options.federationId);
    this.update({ ownExamples: 0, importNotice: { ok: true, text: 'deleted the imported examples' }, storageUsed: await storageUsed() });
  }

  dispose(): void {
    this.disposed = true;
    this.session?.close();
    this.training?.terminate();
    this.store?.close();
    this.listeners.clear();
  }

  /** The device credential kept for this federation, else the join link's enrollment token. */
  private async deviceCredentials(store: DeviceStore): Promise<DeviceCredentials> {
    const federationId = this.options.federationId;
    const kept = await store.credential(federationId);
    return new DeviceCredentials(kept, this.options.enrollmentToken ?? null, (credential) => store.putCredential(federationId, credential));
  }

  private adapters(store: DeviceStore, training: TrainingClient): DeviceAdapters {
    const federationId = this.options.federationId;
    const credentials = this.credentials ?? new DeviceCredentials();
    return {
      credentials,
      connect: (): DeviceSocket => io({ ...socketTransportOptions(), ...DEVICE_RECONNECTION, auth: credentials.socketAuth }),
      data: {
        // The shard is downloaded only if IndexedDB does not hold it already.
        prepare: async (assignment, downloading, authHeaders) => {
          if (assignment.kind === 'own') return assignment.numExamples;
          if (!(await store.hasShard(assignment.shardId))) {
            downloading();
            await downloadShard(store, federationId, assignment, authHeaders);
          }
          return store.examplesStored(federationId);
        },
        examples: () => heldData(store, federationId, this.view.dataset),
      },
      trainer: {
        train: async (job, onProgress) => {
          const { dataset } = this.view;
          const ownData = dataset?.kind === 'device' ? { ownData: { testFraction: dataset.testFraction } } : {};
          const result = await training.train({ ...job, ...ownData, weights: job.weights.slice().buffer }, onProgress);
          const { engine } = this.view;
          // The engine line follows the loop that really trained: Flock's WebGPU engine hands a round it fails on to tfjs.
          this.update({
            gpuBytes: result.gpuBytes,
            ...(engine.phase === 'ready' ? { engine: { ...engine, choice: { ...engine.choice, engine: result.engine } } } : {}),
          });
          return { ...result, payload: new Uint8Array(result.payload) };
        },
        cancel: () => training.cancel(),
        // Secure rounds: the update is quantized and masked in the worker (the session keeps its copy of the update).
        mask: (work) => training.mask(work),
        // Only imported examples have a held-out share; an assigned shard is all for training.
        evaluate: async (job) => {
          const { dataset } = this.view;
          if (dataset?.kind !== 'device') return null;
          return training.evaluate({ ...job, weights: job.weights.slice().buffer, testFraction: dataset.testFraction });
        },
        // The session keeps the model bytes (a later query may name the same model): the worker gets a copy.
        predict: (job) => training.predict({ ...job, weights: job.weights.slice().buffer }),
      },
    };
  }

  private update(patch: Partial<DeviceView>): void {
    if (this.disposed) return;
    this.view = { ...this.view, ...patch };
    for (const listener of this.listeners) listener();
  }
}
