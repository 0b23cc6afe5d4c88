import { subset, type DeviceEvaluation, type EventLogEntry, type FederatedEvaluationReport, type FederationSummary, type RoundRecord } from '@flock/fl-core';
import { DeviceSession, type DeviceSessionView } from '@flock/fl-core/device';
import { InProcessTrainer, MemoryShards, nodeAdapters } from '@flock/fl-core/node';
import { testFederationConfig } from '@flock/fl-core/testing';
import { describe, expect, it } from 'vitest';
import { restOk } from '../testing/restCalls.ts';
import { until, useTestCoordinator } from '../testing/testCoordinator.ts';

const TOKEN = 'final-evaluation-test-admin-token';
const FEDERATION = 'scored';
const ROUNDS = 2;
const HELD_OUT = 20;
const env = useTestCoordinator('flock-final-evaluation-', TOKEN);

const api = <T>(method: string, path: string, body?: unknown) => restOk<T>(env.coordinator.url, TOKEN, method, path, body);

describe('a finished federation', () => {
  it("has its final model scored by the devices online, and every round carries the devices' training accuracy and loss", async () => {
    await api(
      'POST',
      '/api/federations',
      testFederationConfig({
        id: FEDERATION,
        name: 'final evaluation',
        dataset: { kind: 'mnist', partition: 'iid', examplesPerDevice: 60, numDevices: 2, seed: 3 },
        maxRounds: ROUNDS,
        minDevices: 2,
        belowQuorum: 'extend-once',
      }),
    );
    const url = env.coordinator.url;
    const shards = new MemoryShards(url);
    // The first examples of each shard stand in for a device's held-out examples (a silo's test split).
    const trainer = new InProcessTrainer(
      (id) => shards.get(id),
      (id) =>
        subset(
          shards.get(id),
          Array.from({ length: HELD_OUT }, (_, i) => i),
        ),
    );
    const views = new Map<string, DeviceSessionView>();
    const sessions = ['final-device-1', 'final-device-2'].map(
      (deviceId) =>
        new DeviceSession({ deviceId, federationId: FEDERATION, backend: 'cpu', adapter: null }, nodeAdapters(url, shards, trainer), (view) =>
          views.set(deviceId, view),
        ),
    );
    for (const s of sessions) s.start();
    try {
      await until(
        async () =>
          (await api<FederationSummary & { devices?: { connected: number } }>('GET', `/api/federations/${FEDERATION}`)).devices?.connected === 2
            ? true
            : undefined,
        'both devices to join',
      );
      await api('POST', `/api/federations/${FEDERATION}/start`, {});
      await until(
        async () => ((await api<{ status: string }>('GET', `/api/federations/${FEDERATION}`)).status === 'finished' ? true : undefined),
        'the federation to finish',
      );

      const report = await until(async () => {
        const r = await api<FederatedEvaluationReport>('GET', `/api/federations/${FEDERATION}/evaluations`);
        return r.rounds.find((s) => s.round === ROUNDS)?.devices === 2 ? r : undefined;
      }, 'both devices to score the final model');
      // Round 0 is the initial model (scored with round 1's update), round 2 the final one (scored after the finish).
      expect(report.rounds.map((r) => [r.round, r.devices, r.examples])).toEqual([
        [0, 2, 2 * HELD_OUT],
        [1, 2, 2 * HELD_OUT],
        [2, 2, 2 * HELD_OUT],
      ]);
      const final: DeviceEvaluation[] = report.devices.filter((d) => d.round === ROUNDS);
      for (const [deviceId, view] of views)
        expect(view.finalEvaluation).toEqual(expect.objectContaining({ examples: HELD_OUT, accuracy: final.find((d) => d.deviceId === deviceId)!.accuracy }));

      const rounds = await api<RoundRecord[]>('GET', `/api/federations/${FEDERATION}/rounds`);
      expect(rounds).toHaveLength(ROUNDS);
      for (const r of rounds) {
        expect(r.trainAccuracy).toBeGreaterThan(0);
        expect(r.trainAccuracy).toBeLessThanOrEqual(1);
        expect(r.trainLoss).toBeGreaterThan(0);
      }
      const events = await api<EventLogEntry[]>('GET', `/api/federations/${FEDERATION}/events`);
      expect(events.filter((e) => e.kind === 'final-evaluation').map((e) => e.message)).toEqual([
        expect.stringMatching(/^device scored the final model: \d+\.\d% of its 20 held-out examples right$/),
        expect.stringMatching(/^device scored the final model: \d+\.\d% of its 20 held-out examples right$/),
      ]);
    } finally {
      for (const s of sessions) s.close();
      trainer.dispose();
    }
  }, 180_000);
});
