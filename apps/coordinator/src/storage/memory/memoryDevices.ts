import { freeShardIndex, ownDataIndex } from '../freeShardIndex.ts';
import type { DeviceRepository, NewDevice, Registration, StoredDevice } from '../store.ts';

/** Where a federation's devices are kept; undefined for a federation the store does not hold. */
type DevicesOf = (federationId: string) => Map<string, StoredDevice> | undefined;

/** Each federation's devices, in the memory store's federation entries. */
export class MemoryDevices implements DeviceRepository {
  constructor(private readonly devicesOf: DevicesOf) {}

  async list(federationId: string): Promise<StoredDevice[]> {
    return [...(this.devicesOf(federationId)?.values() ?? [])].sort((a, b) => a.shardIndex - b.shardIndex).map(copyDevice);
  }

  async upsert(federationId: string, device: StoredDevice): Promise<void> {
    const devices = this.held(federationId);
    const known = devices.get(device.deviceId);
    if (known) {
      refresh(known, device);
      return;
    }
    if ([...devices.values()].some((d) => d.shardIndex === device.shardIndex)) {
      throw new Error(`shard ${device.shardIndex} of federation "${federationId}" is already held by another device`);
    }
    devices.set(device.deviceId, copyDevice(device));
  }

  /** Reads and writes with no await between: atomic for every caller in this process, the only ones a memory store has. */
  async register(federationId: string, device: NewDevice, shardCount: number, shardSize: (shardIndex: number) => number): Promise<Registration | null> {
    const devices = this.held(federationId);
    const known = devices.get(device.deviceId);
    if (known) {
      refresh(known, device);
      if (known.shardIndex < 0 && device.ownExamples !== null) known.examples = device.ownExamples;
      return { device: copyDevice(known), isNew: false };
    }
    const held = [...devices.values()].map((d) => d.shardIndex);
    const shardIndex =
      device.ownExamples === null ? freeShardIndex(new Set(held), shardCount) : ownDataIndex(held.reduce((lowest, i) => Math.min(lowest, i), 0));
    if (shardIndex === null) return null;
    const stored: StoredDevice = {
      deviceId: device.deviceId,
      shardIndex,
      backend: device.backend,
      adapter: structuredClone(device.adapter),
      ...platformOf(device),
      roundsContributed: 0,
      examples: device.ownExamples ?? shardSize(shardIndex),
      lastSeen: new Date(device.lastSeen),
    };
    devices.set(stored.deviceId, stored);
    return { device: copyDevice(stored), isNew: true };
  }

  private held(federationId: string): Map<string, StoredDevice> {
    const devices = this.devicesOf(federationId);
    if (!devices) throw new Error(`there is no stored federation "${federationId}"`);
    return devices;
  }
}

/** What a returning device brings: its shard and contribution count stay. */
function refresh(known: StoredDevice, device: Pick<StoredDevice, 'backend' | 'adapter' | 'platform' | 'lastSeen'>): void {
  Object.assign(known, { backend: device.backend, adapter: structuredClone(device.adapter), lastSeen: new Date(device.lastSeen) });
  if (device.platform) known.platform = device.platform;
  else delete known.platform;
}

const platformOf = (d: Pick<StoredDevice, 'platform'>) => (d.platform ? { platform: d.platform } : {});

function copyDevice(d: StoredDevice): StoredDevice {
  return {
    deviceId: d.deviceId,
    shardIndex: d.shardIndex,
    backend: d.backend,
    adapter: structuredClone(d.adapter),
    ...platformOf(d),
    roundsContributed: d.roundsContributed,
    examples: d.examples,
    lastSeen: new Date(d.lastSeen),
  };
}
