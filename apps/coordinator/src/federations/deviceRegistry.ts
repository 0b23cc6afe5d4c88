import { demoDataset, deviceCount, type DeviceInfo, type DeviceState, type FederationConfig } from '@flock/fl-core';
import type { StoredDevice } from '../storage/store.ts';

/** Shared by the entries of devices connected to no other coordinator, which are most of them. */
const NOWHERE: readonly string[] = [];

interface DeviceEntry extends StoredDevice {
  /** Sockets open to this coordinator. */
  connections: number;
  /**
   * Several coordinators: the other coordinators it is connected to (the owner of the federation counts every device
   * online). A list replaced on change, not a Set: it holds one or two ids, and an empty Set cost some 150 bytes per
   * device (the owner keeps an entry for every device of the federation, the others one for each device they serve).
   */
  elsewhere: readonly string[];
  state: DeviceState;
}

/**
 * A federation's devices: who holds which shard (kept across restarts, so a device always
 * trains on the same examples) and who is connected right now.
 */
export class DeviceRegistry {
  private readonly devices = new Map<string, DeviceEntry>();
  /** One copy of each coordinator's id for every entry to share: each message from another coordinator brings its own. */
  private readonly coordinatorIds = new Map<string, string>();

  constructor(
    private readonly config: FederationConfig,
    stored: StoredDevice[],
  ) {
    for (const d of stored) this.adopt(d);
  }

  /** Shards to assign: none when the devices bring their own data. */
  get shardCount(): number {
    const demo = demoDataset(this.config.dataset);
    return demo ? deviceCount(demo) : 0;
  }

  get(deviceId: string): StoredDevice | undefined {
    return this.devices.get(deviceId);
  }

  /** A device as the store registered it (here or, with several coordinators, on another one): its shard, examples and backend. */
  adopt(d: StoredDevice): void {
    const known = this.devices.get(d.deviceId);
    if (known)
      Object.assign(known, {
        shardIndex: d.shardIndex,
        examples: d.examples,
        backend: d.backend,
        adapter: d.adapter,
        platform: d.platform,
        lastSeen: d.lastSeen,
      });
    else this.devices.set(d.deviceId, { ...d, connections: 0, elsewhere: NOWHERE, state: 'joining' });
  }

  /**
   * Several coordinators: the device connected to (or left) `coordinatorId`. Counted per coordinator:
   * a device whose link dropped reconnects elsewhere before its old socket's ping times out there.
   */
  connectedElsewhere(deviceId: string, coordinatorId: string, online: boolean): void {
    const d = this.devices.get(deviceId);
    if (!d) return;
    const others = d.elsewhere.filter((id) => id !== coordinatorId);
    if (!online) d.elsewhere = others.length > 0 ? others : NOWHERE;
    else if (others.length === d.elsewhere.length) d.elsewhere = others.concat(this.coordinatorId(coordinatorId));
  }

  private coordinatorId(id: string): string {
    const known = this.coordinatorIds.get(id);
    if (known !== undefined) return known;
    this.coordinatorIds.set(id, id);
    return id;
  }

  /** Connected here or, with several coordinators, to another one. */
  isOnline(deviceId: string): boolean {
    const d = this.devices.get(deviceId);
    return d !== undefined && (d.connections > 0 || d.elsewhere.length > 0);
  }

  /** Devices with a socket open to this coordinator, of `among` when given. */
  onlineHere(among?: Iterable<string>): string[] {
    const ids = among ? [...among] : [...this.devices.keys()];
    return ids.filter((id) => (this.devices.get(id)?.connections ?? 0) > 0);
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

  /** What the console's snapshot shows, counted without listing: snapshots go out many times a round. */
  counts(): { total: number; online: number; training: number } {
    let online = 0;
    let training = 0;
    for (const d of this.devices.values()) {
      if (d.connections > 0 || d.elsewhere.length > 0) online++;
      if (d.connections > 0 && d.state === 'training') training++;
    }
    return { total: this.devices.size, online, training };
  }

  list(): DeviceInfo[] {
    return [...this.devices.values()]
      .sort((a, b) => a.shardIndex - b.shardIndex)
      .map((d) => ({
        deviceId: d.deviceId,
        federationId: this.config.id,
        connected: d.connections > 0 || d.elsewhere.length > 0,
        // What a device does is heard only by the coordinator it is connected to.
        state: d.connections > 0 ? d.state : 'idle',
        backend: d.backend,
        adapter: d.adapter,
        ...(d.platform ? { platform: d.platform } : {}),
        shardId: this.shardId(d),
        examples: d.examples,
        roundsContributed: d.roundsContributed,
        lastSeen: d.lastSeen.toISOString(),
      }));
  }
}
