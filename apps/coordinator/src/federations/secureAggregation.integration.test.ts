import { decodeWeights, encodeWeights, type EventLogEntry, type FederationConfig, type RoundRecord } from '@flock/fl-core';
import { DeviceCredentials, DeviceSession, type DeviceAdapters, type DeviceSocket, type TrainingOutcome } from '@flock/fl-core/device';
import { testFederationConfig } from '@flock/fl-core/testing';
import { describe, expect, it } from 'vitest';
import { connectDevice } from '../testing/deviceSockets.ts';
import { restOk } from '../testing/restCalls.ts';
import { until, useTestCoordinator } from '../testing/testCoordinator.ts';

const TOKEN = 'secure-aggregation-test-token';
const FEDERATION = 'secure-sum';
const EXAMPLES = [50, 100, 150, 200, 250];
const test = useTestCoordinator('flock-secagg-', TOKEN);

const api = <T>(path: string, body?: unknown) => restOk<T>(test.coordinator.url, TOKEN, body === undefined ? 'GET' : 'POST', path, body);

/** A device's update for round 1: known values within the clip, different per device. */
function deltaOf(device: number, size: number, scale = 0.5): Float32Array {
  return Float32Array.from({ length: size }, (_, i) => scale * Math.sin(i * 0.37 + device));
}

/**
 * A real DeviceSession over a real socket whose trainer returns a known delta at once; `held` devices never finish
 * training, so they are still in the round when the test closes them after the keys were shared.
 */
function startDevice(index: number, held: boolean, federationId = FEDERATION, scale?: number): DeviceSession {
  const credentials = new DeviceCredentials();
  const adapters: DeviceAdapters = {
    connect: () => connectDevice(test.coordinator.url, { auth: credentials.socketAuth }) as unknown as DeviceSocket,
    credentials,
    data: { prepare: async () => EXAMPLES[index]! },
    trainer: {
      train: (job) =>
        held
          ? new Promise<TrainingOutcome>(() => {})
          : Promise.resolve().then(() => {
              const { manifest, values } = decodeWeights(job.weights);
              const payload = encodeWeights(manifest, deltaOf(index, values.length, scale), 'delta') as Uint8Array<ArrayBuffer>;
              return { payload, numExamples: EXAMPLES[index]!, loss: 1, accuracy: 0.5, numTensors: null };
            }),
    },
  };
  const identity = {
    deviceId: `${federationId}-device-${index}`,
    federationId,
    backend: 'cpu' as const,
    adapter: null,
    dataSource: { kind: 'own' as const, numExamples: EXAMPLES[index]! },
  };
  const session = new DeviceSession(identity, adapters);
  session.start();
  return session;
}

/** A one-round federation of the five devices, securely aggregated (groups of 5, threshold 3), with `extra` settings. */
function createFederation(id: string, extra: Partial<FederationConfig> = {}): Promise<unknown> {
  return api(
    '/api/federations',
    testFederationConfig({
      id,
      name: `secure sum ${id}`,
      dataset: { kind: 'mnist', partition: 'iid', examplesPerDevice: 10, numDevices: 5, seed: 2 },
      maxRounds: 1,
      minDevices: 5,
      clientsPerRound: 'all',
      deadline: { mode: 'fixed', ms: 60_000 },
      secureAggregation: { enabled: true, neighbours: 5, threshold: 3 },
      modelSeed: 2,
      ...extra,
    }),
  );
}

async function globalModel(id: string) {
  return decodeWeights(new Uint8Array(await (await fetch(`${test.coordinator.url}/api/federations/${id}/model.flkw`)).arrayBuffer()));
}

const eventsOf = (id: string) => api<EventLogEntry[]>(`/api/federations/${id}/events`);

async function untilFinished(id: string): Promise<void> {
  await until(async () => ((await api<{ status: string }>(`/api/federations/${id}`)).status === 'finished' ? true : undefined), 'the round to close');
}

async function startWhenAllOnline(id: string): Promise<void> {
  await until(async () => ((await eventsOf(id)).filter((e) => e.kind === 'device-online').length === 5 ? true : undefined), 'five devices online');
  await api(`/api/federations/${id}/start`, {});
}

describe('a securely aggregated round over real sockets', () => {
  it(
    'with 5 devices, one gone after sharing its keys: the coordinator takes no plain update and the new model is FedAvg of the 4 others within the quantization error',
    { timeout: 120_000 },
    async () => {
      await createFederation(FEDERATION);
      const before = await globalModel(FEDERATION);
      const sessions = EXAMPLES.map((_, i) => startDevice(i, i === 4));
      const events = () => eventsOf(FEDERATION);
      try {
        await startWhenAllOnline(FEDERATION);
        await until(async () => ((await events()).some((e) => /shared their keys/.test(e.message)) ? true : undefined), 'the keys to be shared');
        sessions[4]!.close();

        await untilFinished(FEDERATION);
        const [round] = await api<RoundRecord[]>(`/api/federations/${FEDERATION}/rounds`);
        expect(round).toMatchObject({ round: 1, participants: 4, examples: 500 });

        const log = await events();
        expect(log.filter((e) => e.kind === 'update-accepted')).toEqual([]);
        expect(log.map((e) => e.message)).toContain(
          'round 1, secure aggregation: 4 devices sent their masked updates; 1 device left and counts as dropped from here on',
        );

        const after = await globalModel(FEDERATION);
        const contributors = [0, 1, 2, 3];
        const total = contributors.reduce((sum, i) => sum + EXAMPLES[i]!, 0);
        const deltas = contributors.map((i) => deltaOf(i, before.values.length));
        let worst = 0;
        for (let j = 0; j < before.values.length; j++) {
          const fedAvg = contributors.reduce((sum, i, k) => sum + (EXAMPLES[i]! * deltas[k]![j]!) / total, 0);
          worst = Math.max(worst, Math.abs(after.values[j]! - before.values[j]! - fedAvg));
        }
        // Quantization steps are 2 / (2^32 / 5) ≈ 2e-9; what is left is float32 rounding of the stored model.
        expect(worst).toBeLessThan(1e-6);
      } finally {
        for (const s of sessions) s.close();
      }
    },
  );

  it(
    'with distributed DP, the devices noise their masked updates: the new model moves off plain FedAvg and the round spends epsilon',
    { timeout: 120_000 },
    async () => {
      const id = 'secure-dp';
      await createFederation(id, { privacy: { mode: 'distributed', clipNorm: 1, noiseMultiplier: 1, delta: 1e-5, onTarget: 'warn' } });
      const before = await globalModel(id);
      // Updates of L2 norm about 0.3, inside the clip norm: without noise no value of the model would move by 0.002.
      const sessions = EXAMPLES.map((_, i) => startDevice(i, false, id, 0.001));
      try {
        await startWhenAllOnline(id);
        await untilFinished(id);
        const [round] = await api<(RoundRecord & { epsilon: number | null })[]>(`/api/federations/${id}/rounds`);
        expect(round).toMatchObject({ round: 1, participants: 5 });
        expect(round!.epsilon).toBeGreaterThan(0);
        const after = await globalModel(id);
        const moved = after.values.reduce((most, v, j) => Math.max(most, Math.abs(v - before.values[j]!)), 0);
        expect(moved).toBeGreaterThan(0.05);
      } finally {
        for (const s of sessions) s.close();
      }
    },
  );
});
