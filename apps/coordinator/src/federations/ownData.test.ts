import { FederationConfig, federationConfigProblem, PROTOCOL_VERSION, type HelloMessage } from '@flock/fl-core';
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../storage/memory/memoryStore.ts';
import { DeviceRegistry } from './deviceRegistry.ts';
import { ownDataRefusal } from './ownData.ts';

const config = FederationConfig.parse({
  id: 'iris',
  name: 'Iris',
  model: 'tabular-mlp',
  dataset: { kind: 'device', schema: { type: 'csv', features: ['a', 'b'], label: 'species', classes: ['x', 'y'] } },
  training: { epochs: 1, batchSize: 10, learningRate: 0.1 },
  maxRounds: 3,
  minDevices: 1,
  clientsPerRound: 'all',
  quorum: 0.5,
  evalExamples: 1,
  modelSeed: 1,
});

const hello = (dataSource?: HelloMessage['dataSource']): HelloMessage => ({
  protocolVersion: PROTOCOL_VERSION,
  deviceId: 'device-0001',
  federationId: 'iris',
  backend: 'cpu',
  adapter: null,
  ...(dataSource ? { dataSource } : {}),
});

describe('device-data federations', () => {
  it('refuse a device that brings no data of its own, with what to do', () => {
    expect(ownDataRefusal(config, hello())).toBe(
      "federation iris trains on each device's own examples: import them on the device page (or pass --data) before joining",
    );
    expect(ownDataRefusal(config, hello({ kind: 'own', numExamples: 12 }))).toBeNull();
  });

  it("refuse a device whose own data would outweigh the federation's bound, on device data and on assigned shards alike", () => {
    const mnist = FederationConfig.parse({
      ...config,
      id: 'mnist',
      model: 'mnist-mlp',
      dataset: { kind: 'mnist', partition: 'iid', examplesPerDevice: 600, seed: 1 },
    });
    expect(ownDataRefusal(mnist, hello({ kind: 'own', numExamples: 100_000_000 }))).toBe(
      'federation mnist counts at most 100,000 examples per device (maxExamplesPerDevice); this device declares 100,000,000: train on fewer, or ask the operator to raise the bound',
    );
    expect(ownDataRefusal(mnist, hello({ kind: 'own', numExamples: 60_000 }))).toBeNull();
    const bounded = { ...config, maxExamplesPerDevice: 500 };
    expect(ownDataRefusal(bounded, hello({ kind: 'own', numExamples: 501 }))).toMatch(/^federation iris counts at most 500 examples per device/);
    expect(ownDataRefusal(bounded, hello({ kind: 'own', numExamples: 500 }))).toBeNull();
  });

  it('assign no shard: a device with its own data registers with the examples it declares', async () => {
    const registry = new DeviceRegistry(config, []);
    expect(registry.shardCount).toBe(0);
    const store = new MemoryStore();
    await store.federations.create(config, new Uint8Array(0));
    const { deviceId, backend, adapter } = hello({ kind: 'own', numExamples: 12 });
    const registered = await store.devices.register(
      config.id,
      { deviceId, backend, adapter, lastSeen: new Date(), ownExamples: 12 },
      registry.shardCount,
      () => 0,
    );
    expect(registered?.device.examples).toBe(12);
    expect(registered?.device.shardIndex).toBeLessThan(0);
  });

  it('refuse a target accuracy (the coordinator has no test data) and a model too big for the rows', () => {
    expect(federationConfigProblem(config)).toBeNull();
    expect(federationConfigProblem({ ...config, targetAccuracy: 0.9 })).toMatch(/^targetAccuracy needs the coordinator's own test data/);
    expect(federationConfigProblem({ ...config, model: 'mnist-cnn' })).toMatch(/^model mnist-cnn needs images of at least 4x4, the dataset gives 1x2/);
  });
});
