import type { ImageDataset } from '@flock/fl-core/data';
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';

/**
 * What a device keeps in IndexedDB. The schema is fixed (end-to-end tests read it directly):
 * database `flock` v4, store `meta` (out-of-line keys: `deviceId` -> string, `credential:<federationId>` ->
 * the device credential the coordinator bound this id to), store `shards`
 * (keyPath `shardId`), since v2, store `backends` (keyPath `model`: the measured backend choice),
 * since v3, store `residuals` (keyPath `key`, `<federationId>/<shardId>`: what top-k has not sent yet)
 * and, since v4, store `examples` (keyPath `federationId`: the examples a person imported, StoredExamples).
 * Used by both the page and the training worker.
 */
export const DB_NAME = 'flock';
export const DB_VERSION = 4;

/** The backend measured fastest for one model on this device. */
export interface StoredBackendChoice {
  model: string;
  backend: string;
  /** Why, in words (the measured samples/s of each backend). */
  reason: string;
  measuredAt: string;
}

export interface StoredShard {
  shardId: string;
  federationId: string;
  numExamples: number;
  /** The shard as `encodeDataset` wrote it. */
  bytes: ArrayBuffer;
  storedAt: string;
}

/** A top-k device's error-feedback residual (fl-core ResidualStore). */
export interface StoredResidual {
  key: string;
  values: Float32Array;
}

interface FlockDB extends DBSchema {
  meta: { key: string; value: string };
  shards: { key: string; value: StoredShard };
  backends: { key: string; value: StoredBackendChoice };
  residuals: { key: string; value: StoredResidual };
  examples: { key: string; value: StoredExamples };
}

/** A person's own examples for one federation, checked against its schema on import; never uploaded. */
export interface StoredExamples extends Omit<ImageDataset, 'features'> {
  federationId: string;
  /** The schema they were checked against (JSON): examples of another schema are not trained on. */
  schema: string;
  /** CSV rows as floats; null for images. */
  features: Float32Array | null;
  updatedAt: string;
}

export function storedExamples(federationId: string, schema: string, d: ImageDataset): StoredExamples {
  const { count, height, width, channels, numClasses, labels, pixels } = d;
  return {
    federationId,
    schema,
    count,
    height,
    width,
    channels,
    numClasses,
    labels,
    pixels,
    features: d.features ?? null,
    updatedAt: new Date().toISOString(),
  };
}

export function examplesDataset(s: StoredExamples): ImageDataset {
  const { count, height, width, channels, numClasses, labels, pixels } = s;
  return { count, height, width, channels, numClasses, labels, pixels, ...(s.features ? { features: s.features } : {}) };
}

export class DeviceStore {
  private constructor(private readonly db: IDBPDatabase<FlockDB>) {}

  static async open(): Promise<DeviceStore> {
    const db = await openDB<FlockDB>(DB_NAME, DB_VERSION, {
      upgrade(database) {
        if (!database.objectStoreNames.contains('meta')) database.createObjectStore('meta');
        if (!database.objectStoreNames.contains('shards')) database.createObjectStore('shards', { keyPath: 'shardId' });
        if (!database.objectStoreNames.contains('backends')) database.createObjectStore('backends', { keyPath: 'model' });
        if (!database.objectStoreNames.contains('residuals')) database.createObjectStore('residuals', { keyPath: 'key' });
        if (!database.objectStoreNames.contains('examples')) database.createObjectStore('examples', { keyPath: 'federationId' });
      },
    });
    return new DeviceStore(db);
  }

  /** This device's id: created on first use, then the same for as long as the browser keeps the data. */
  async deviceId(): Promise<string> {
    const tx = this.db.transaction('meta', 'readwrite');
    const existing = await tx.store.get('deviceId');
    if (existing) {
      await tx.done;
      return existing;
    }
    const id = crypto.randomUUID().replaceAll('-', '');
    await tx.store.put(id, 'deviceId');
    await tx.done;
    return id;
  }

  /** The device credential kept for a federation, or null before the first hello. */
  async credential(federationId: string): Promise<string | null> {
    return (await this.db.get('meta', `credential:${federationId}`)) ?? null;
  }

  /** Keeps (or, with null, drops) the device credential for a federation. */
  async putCredential(federationId: string, credential: string | null): Promise<void> {
    if (credential === null) await this.db.delete('meta', `credential:${federationId}`);
    else await this.db.put('meta', credential, `credential:${federationId}`);
  }

  async hasShard(shardId: string): Promise<boolean> {
    return (await this.db.getKey('shards', shardId)) !== undefined;
  }

  async getShard(shardId: string): Promise<StoredShard | undefined> {
    return this.db.get('shards', shardId);
  }

  /** Stores a shard and drops any other shard this device held for the same federation. */
  async putShard(shard: StoredShard): Promise<void> {
    const tx = this.db.transaction('shards', 'readwrite');
    for (const old of await tx.store.getAll()) {
      if (old.federationId === shard.federationId && old.shardId !== shard.shardId) await tx.store.delete(old.shardId);
    }
    await tx.store.put(shard);
    await tx.done;
  }

  /** Examples held for a federation, counted from the stored shards' metadata. */
  async examplesStored(federationId: string): Promise<number> {
    const shards = await this.db.getAll('shards');
    return shards.filter((s) => s.federationId === federationId).reduce((n, s) => n + s.numExamples, 0);
  }

  /** The shard this device holds for a federation (one at most: putShard drops the others). */
  async federationShard(federationId: string): Promise<StoredShard | undefined> {
    return (await this.db.getAll('shards')).find((s) => s.federationId === federationId);
  }

  async ownExamples(federationId: string): Promise<StoredExamples | undefined> {
    return this.db.get('examples', federationId);
  }

  async putOwnExamples(examples: StoredExamples): Promise<void> {
    await this.db.put('examples', examples);
  }

  async deleteOwnExamples(federationId: string): Promise<void> {
    await this.db.delete('examples', federationId);
  }

  async backendChoice(model: string): Promise<StoredBackendChoice | undefined> {
    return this.db.get('backends', model);
  }

  async putBackendChoice(choice: StoredBackendChoice): Promise<void> {
    await this.db.put('backends', choice);
  }

  async residual(key: string): Promise<Float32Array | null> {
    return (await this.db.get('residuals', key))?.values ?? null;
  }

  async putResidual(key: string, values: Float32Array): Promise<void> {
    await this.db.put('residuals', { key, values: Float32Array.from(values) });
  }

  close(): void {
    this.db.close();
  }
}
