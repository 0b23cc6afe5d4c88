import { testFederationConfig } from '@flock/fl-core/testing';
import { describe, expect, it } from 'vitest';
import { DeviceRegistry } from './deviceRegistry.ts';

const device = { deviceId: 'device-1', shardIndex: 0, backend: null, adapter: null, roundsContributed: 0, examples: 10, lastSeen: new Date(0) };

describe('DeviceRegistry, with several coordinators', () => {
  it('counts a device online while any coordinator holds a socket of it: an old socket timing out elsewhere does not take it offline', () => {
    const registry = new DeviceRegistry(testFederationConfig({ id: 'fed' }), [device]);
    registry.connectedElsewhere('device-1', 'coordinator-a', true);
    // Its link dropped and it reconnected to coordinator-b before coordinator-a's ping noticed.
    registry.connectedElsewhere('device-1', 'coordinator-b', true);
    registry.connectedElsewhere('device-1', 'coordinator-a', false);
    expect(registry.isOnline('device-1')).toBe(true);
    expect(registry.list()[0]?.connected).toBe(true);
    registry.connected('device-1');
    registry.connectedElsewhere('device-1', 'coordinator-b', false);
    expect(registry.isOnline('device-1')).toBe(true);
    registry.disconnected('device-1', new Date(1));
    expect(registry.isOnline('device-1')).toBe(false);
    expect(registry.list()[0]?.connected).toBe(false);
    expect(registry.onlineHere()).toEqual([]);
  });

  it('counts a coordinator once however often it says the device is online there', () => {
    const registry = new DeviceRegistry(testFederationConfig({ id: 'fed' }), [device]);
    registry.connectedElsewhere('device-1', 'coordinator-a', true);
    registry.connectedElsewhere('device-1', 'coordinator-a', true);
    registry.connectedElsewhere('device-1', 'coordinator-b', true);
    registry.connectedElsewhere('device-1', 'coordinator-a', false);
    expect(registry.isOnline('device-1')).toBe(true);
    registry.connectedElsewhere('device-1', 'coordinator-b', false);
    expect(registry.isOnline('device-1')).toBe(false);
    expect(registry.counts().online).toBe(0);
  });

  it('counts what the list shows: devices, those online here or elsewhere, those training here', () => {
    const registry = new DeviceRegistry(testFederationConfig({ id: 'fed' }), [
      device,
      { ...device, deviceId: 'device-2', shardIndex: 1 },
      { ...device, deviceId: 'device-3', shardIndex: 2 },
    ]);
    registry.connected('device-1');
    registry.setState('device-1', 'training', new Date(1));
    registry.connectedElsewhere('device-2', 'coordinator-b', true);
    const list = registry.list();
    expect(registry.counts()).toEqual({
      total: list.length,
      online: list.filter((d) => d.connected).length,
      training: list.filter((d) => d.connected && d.state === 'training').length,
    });
    expect(registry.counts()).toEqual({ total: 3, online: 2, training: 1 });
  });
});
