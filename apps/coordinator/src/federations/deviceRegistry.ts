import { demoDataset, deviceCount, type DeviceInfo, type DeviceState, type FederationConfig, type HelloMessage } from '@flock/fl-core';
import type { StoredDevice } from '../storage/store.ts';

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

  /** Shards to assign: none when the devices bring their own data. */
  get shardCount(): number {
    const demo = demoDataset(this.config.dataset);
    return demo ? deviceCount(demo) : 0;
  }

  get(deviceId: string): StoredDevice | undefined {
    return this.devices.get(deviceId);
  }

  /**
   * Refreshes a known device or gives a new one the lowest free shard (`shardSize` tells its
   * examples); null when none is left. A device with its own data takes no shard: it gets the next
   * free negative index and may claim as many examples as it declares.
   */
  register(hello: HelloMessage, now: Date, shardSize: (shardIndex: number) => number): { device: StoredDevice; isNew: boolean } | null {
    const own = hello.dataSource?.kind === 'own' ? hello.dataSource.numExamples : null;
    const known = this.devices.get(hello.deviceId);
    if (known) {
      Object.assign(known, { backend: hello.backend, adapter: hello.adapter, lastSeen: now });
      if (own !== null && known.shardIndex < 0) known.examples = own;
      return { device: known, isNew: false };
    }
    const used = new Set([...this.devices.values()].map((d) => d.shardIndex));
    const step = own === null ? 1 : -1;
    let shardIndex = own === null ? 0 : -1;
    while (used.has(shardIndex)) shardIndex += step;
    if (shardIndex >= this.shardCount) return null;
    const device: DeviceEntry = {
      deviceId: hello.deviceId,
      shardIndex,
      backend: hello.backend,
      adapter: hello.adapter,
      roundsContributed: 0,
      examples: own ?? shardSize(shardIndex),
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
    return d.shardIndex < 0 ? `${this.config.id}-own-${d.deviceId}` : `${this.config.id}-${d.shardIndex}`;
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
