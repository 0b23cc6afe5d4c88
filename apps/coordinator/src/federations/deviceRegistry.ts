import type { DeviceInfo, DeviceState, FederationConfig, HelloMessage } from '@flock/fl-core';
import type { StoredDevice } from '../storage/federationStore.ts';

/** MNIST's training split; shards are cut from it by a seeded IID partition. */
export const MNIST_TRAIN_EXAMPLES = 60_000;

interface DeviceEntry extends StoredDevice {
  connections: number;
  state: DeviceState;
}

/**
 * A federation's devices: who holds which shard (kept across restarts, so a device always
 * trains on the same examples) and who is connected right now.
 */
export class DeviceRegistry {
  private readonly devices = new Map<string, DeviceEntry>();

  constructor(
    private readonly config: FederationConfig,
    stored: StoredDevice[],
  ) {
    for (const d of stored) this.devices.set(d.deviceId, { ...d, connections: 0, state: 'idle' });
  }

  get shardCount(): number {
    return Math.floor(MNIST_TRAIN_EXAMPLES / this.config.dataset.examplesPerDevice);
  }

  get(deviceId: string): StoredDevice | undefined {
    return this.devices.get(deviceId);
  }

  /** Refreshes a known device or gives a new one the lowest free shard; null when none is left. */
  register(hello: HelloMessage, now: Date): { device: StoredDevice; isNew: boolean } | null {
    const known = this.devices.get(hello.deviceId);
    if (known) {
      Object.assign(known, { backend: hello.backend, adapter: hello.adapter, lastSeen: now });
      return { device: known, isNew: false };
    }
    const used = new Set([...this.devices.values()].map((d) => d.shardIndex));
    let shardIndex = 0;
    while (used.has(shardIndex)) shardIndex++;
    if (shardIndex >= this.shardCount) return null;
    const device: DeviceEntry = {
      deviceId: hello.deviceId,
      shardIndex,
      backend: hello.backend,
      adapter: hello.adapter,
      roundsContributed: 0,
      examples: this.config.dataset.examplesPerDevice,
      lastSeen: now,
      connections: 0,
      state: 'joining',
    };
    this.devices.set(device.deviceId, device);
    return { device, isNew: true };
  }

  /** Returns true when this is the device's first open connection. */
  connected(deviceId: string): boolean {
    const d = this.devices.get(deviceId);
    if (!d) return false;
    d.connections++;
    return d.connections === 1;
  }

  /** Returns true when the device's last connection closed. */
  disconnected(deviceId: string, now: Date): boolean {
    const d = this.devices.get(deviceId);
    if (!d || d.connections === 0) return false;
    d.connections--;
    d.lastSeen = now;
    return d.connections === 0;
  }

  setState(deviceId: string, state: DeviceState, now: Date): void {
    const d = this.devices.get(deviceId);
    if (!d) return;
    d.state = state;
    d.lastSeen = now;
  }

  addContributions(deviceIds: string[]): void {
    for (const id of deviceIds) {
      const d = this.devices.get(id);
      if (d) d.roundsContributed++;
    }
  }

  shardId(d: StoredDevice): string {
    return `${this.config.id}-${d.shardIndex}`;
  }

  list(): DeviceInfo[] {
    return [...this.devices.values()]
      .sort((a, b) => a.shardIndex - b.shardIndex)
      .map((d) => ({
        deviceId: d.deviceId,
        federationId: this.config.id,
        connected: d.connections > 0,
        state: d.connections > 0 ? d.state : 'idle',
        backend: d.backend,
        adapter: d.adapter,
        shardId: this.shardId(d),
        examples: d.examples,
        roundsContributed: d.roundsContributed,
        lastSeen: d.lastSeen.toISOString(),
      }));
  }
}
