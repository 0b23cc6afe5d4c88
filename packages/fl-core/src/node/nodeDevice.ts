import { io } from 'socket.io-client';
import type { ImageDataset } from '../data/dataset.ts';
import { decodeDataset } from '../data/dataset.ts';
import type { DeviceAdapters, DeviceData, DeviceTrainer } from '../device/deviceAdapters.ts';
import { DeviceCredentials } from '../device/deviceCredentials.ts';
import { DEVICE_RECONNECTION, type DeviceSocket } from '../device/deviceSocket.ts';
import { fetchWithin } from './fetchWithin.ts';

/** A shard download that has not finished in this long is given up; the device then says why. */
const SHARD_DOWNLOAD_MS = 120_000;

/** A Node device's connection: WebSocket only (no browser proxies to get through), reconnecting by itself. */
function connectTo(serverUrl: string, credentials: DeviceCredentials): () => DeviceSocket {
  return () => io(serverUrl, { transports: ['websocket'], ...DEVICE_RECONNECTION, auth: credentials.socketAuth });
}

/** Shards downloaded from the coordinator once and kept in memory, keyed by shard id. */
export class MemoryShards implements DeviceData {
  private readonly held = new Map<string, ImageDataset>();

  constructor(private readonly serverUrl: string) {}

  get(shardId: string): ImageDataset {
    const data = this.held.get(shardId);
    if (!data) throw new Error(`shard ${shardId} is not held by this device`);
    return data;
  }

  async prepare(assignment: Parameters<DeviceData['prepare']>[0], downloading: () => void, authHeaders: Record<string, string> = {}): Promise<number> {
    if (assignment.kind !== 'mnist-shard') throw new Error('this device trains on an assigned shard but was told to bring its own data');
    const held = this.held.get(assignment.shardId);
    if (held) return held.count;
    downloading();
    const response = await fetchWithin(new URL(assignment.shardPath, this.serverUrl), SHARD_DOWNLOAD_MS, { headers: authHeaders });
    if (!response.ok) throw new Error(`shard download failed: HTTP ${response.status} ${response.statusText}`.trim());
    const data = decodeDataset(new Uint8Array(await response.arrayBuffer()));
    this.held.set(assignment.shardId, data);
    return data.count;
  }

  async examples(shardId: string): Promise<ImageDataset | null> {
    return this.held.get(shardId) ?? null;
  }
}

/** A silo's own examples: nothing is downloaded; the coordinator's reply names the id they train under. */
export class OwnData implements DeviceData {
  private shardId: string | null = null;

  constructor(readonly data: ImageDataset) {}

  get(shardId: string): ImageDataset {
    if (shardId !== this.shardId) throw new Error(`no data under ${shardId}`);
    return this.data;
  }

  async prepare(assignment: Parameters<DeviceData['prepare']>[0]): Promise<number> {
    if (assignment.kind !== 'own') throw new Error('the coordinator assigned a shard to a device that brings its own data');
    this.shardId = assignment.shardId;
    return this.data.count;
  }

  async examples(shardId: string): Promise<ImageDataset | null> {
    return shardId === this.shardId ? this.data : null;
  }
}

/** `credentials`: what the device presents (default: none kept yet, no enrollment token; the credential lives in memory). */
export function nodeAdapters(serverUrl: string, data: DeviceData, trainer: DeviceTrainer, credentials = new DeviceCredentials()): DeviceAdapters {
  return { connect: connectTo(serverUrl, credentials), data, trainer, credentials };
}
