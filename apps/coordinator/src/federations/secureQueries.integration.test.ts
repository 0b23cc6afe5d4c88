import { decodeWeights, encodeWeights, type EventLogEntry, type RoundRecord } from '@flock/fl-core';
import { QUERY_SECURE_ROUND_BASE, type QueryResult } from '@flock/fl-core/analytics';
import type { ImageDataset } from '@flock/fl-core/data';
import { DeviceCredentials, DeviceSession, type DeviceAdapters, type DeviceSessionView, type DeviceSocket } from '@flock/fl-core/device';
import { SecAggMaskedInput, SecAggServer } from '@flock/fl-core/secagg';
import { testFederationConfig } from '@flock/fl-core/testing';
import { describe, expect, it, vi } from 'vitest';
import { connectDevice } from '../testing/deviceSockets.ts';
import { askQuery } from '../testing/queryCalls.ts';
import { restOk } from '../testing/restCalls.ts';
import { until, useTestCoordinator } from '../testing/testCoordinator.ts';
import { FederationRuntime } from './federationRuntime.ts';

type LabelHistogram = Extract<QueryResult, { kind: 'label-histogram' }>;
type ColumnStats = Extract<QueryResult, { kind: 'column-stats' }>;

const TOKEN = 'secure-queries-test-token';
const FEDERATION = 'secure-queries';
const DEVICES = 5;
const ROWS = 12;
const CLASSES = ['x', 'y', 'z'];
const env = useTestCoordinator('flock-secure-queries-', TOKEN);

const api = <T>(method: string, path: string, body?: unknown) => restOk<T>(env.coordinator.url, TOKEN, method, path, body);
const eventsOf = () => api<EventLogEntry[]>('GET', `/api/federations/${FEDERATION}/events`);

/** Device i's CSV rows: f1 in [0, 10) (whole and half numbers, so every sum is exact in floats), f2, and a label. */
function rowsOf(i: number): ImageDataset {
  const features = new Float32Array(ROWS * 2);
  const labels = new Uint8Array(ROWS);
  for (let r = 0; r < ROWS; r++) {
    features[2 * r] = ((i * 7 + r * 3) % 20) / 2;
    features[2 * r + 1] = i + r / 12;
    labels[r] = (i + r * (i + 1)) % 3;
  }
  return { count: ROWS, height: 1, width: 2, channels: 1, numClasses: CLASSES.length, labels, pixels: new Uint8Array(0), features };
}

const histogramOf = (d: ImageDataset) => CLASSES.map((_, c) => d.labels.filter((l) => l === c).length);
const f1Of = (d: ImageDataset) => Array.from({ length: d.count }, (_, r) => d.features![2 * r]!);

/**
 * A real DeviceSession over a real socket with its own CSV rows. Its trainer returns a known delta once `training`
 * opens; `holdAnswers` keeps its query answer from being computed (it then sits in the secure sum's masked-input stage).
 */
function startDevice(
  i: number,
  credentials: DeviceCredentials,
  views: Map<number, DeviceSessionView>,
  gates: { training: Promise<void>; holdAnswers: Set<number> },
) {
  const adapters: DeviceAdapters = {
    connect: () => connectDevice(env.coordinator.url, { auth: credentials.socketAuth }) as unknown as DeviceSocket,
    credentials,
    data: {
      prepare: async () => ROWS,
      examples: async () => (gates.holdAnswers.has(i) ? new Promise<ImageDataset>(() => {}) : rowsOf(i)),
    },
    trainer: {
      train: async (job) => {
        await gates.training;
        const { manifest, values } = decodeWeights(job.weights);
        const delta = Float32Array.from(values, (_, j) => 0.01 * Math.sin(j + i));
        return { payload: encodeWeights(manifest, delta, 'delta') as Uint8Array<ArrayBuffer>, numExamples: ROWS, loss: 1, accuracy: 0.5, numTensors: null };
      },
    },
  };
  const identity = {
    deviceId: `${FEDERATION}-device-${i}`,
    federationId: FEDERATION,
    backend: 'cpu' as const,
    adapter: null,
    dataSource: { kind: 'own' as const, numExamples: ROWS },
  };
  const session = new DeviceSession(identity, adapters, (view) => views.set(i, view));
  session.start();
  return session;
}

const ask = (body: unknown) => askQuery(env.coordinator.url, TOKEN, FEDERATION, body);

describe('queries on a federation that aggregates securely, over real sockets', () => {
  it(
    'answers as secure sums equal to the pooled truth, survives a device gone after sharing its keys, refuses below the threshold, and runs beside a secure round',
    { timeout: 120_000 },
    async () => {
      // Instruments: every masked vector the coordinator's secure sums take, and any answer in the clear.
      const masked: { round: number; words: Uint32Array }[] = [];
      const receive = SecAggServer.prototype.receiveMaskedInput;
      vi.spyOn(SecAggServer.prototype, 'receiveMaskedInput').mockImplementation(function (this: SecAggServer, deviceId, payload) {
        const parsed = SecAggMaskedInput.safeParse(payload);
        if (parsed.success) masked.push({ round: parsed.data.round, words: new Uint32Array(new Uint8Array(parsed.data.masked).buffer) });
        return receive.call(this, deviceId, payload);
      });
      const clearAnswers = vi.spyOn(FederationRuntime.prototype, 'queryAnswer');

      await api(
        'POST',
        '/api/federations',
        testFederationConfig({
          id: FEDERATION,
          model: 'tabular-mlp',
          dataset: { kind: 'device', schema: { type: 'csv', features: ['f1', 'f2'], label: 'species', classes: CLASSES }, testFraction: 0 },
          maxRounds: 1,
          minDevices: DEVICES,
          clientsPerRound: 'all',
          evalExamples: 1,
          secureAggregation: { enabled: true, neighbours: 5, threshold: 4 },
        }),
      );
      let openTraining = () => {};
      const gates = { training: new Promise<void>((resolve) => (openTraining = resolve)), holdAnswers: new Set<number>() };
      const views = new Map<number, DeviceSessionView>();
      const credentials = Array.from({ length: DEVICES }, () => new DeviceCredentials());
      const sessions = credentials.map((c, i) => startDevice(i, c, views, gates));
      const allOnline = () =>
        until(async () => ([...views.values()].filter((v) => v.state === 'waiting-for-round').length === DEVICES ? true : undefined), 'the devices to join');
      const restart = (indices: number[]) => {
        gates.holdAnswers.clear();
        for (const i of indices) {
          views.delete(i);
          sessions[i] = startDevice(i, credentials[i]!, views, gates);
        }
        return allOnline();
      };
      const all = Array.from({ length: DEVICES }, (_, i) => rowsOf(i));
      const pooledHistogram = (indices: number[]) => indices.map((i) => histogramOf(all[i]!)).reduce((sum, h) => sum.map((n, c) => n + h[c]!));
      try {
        await allOnline();

        const histogram = await ask({ kind: 'label-histogram', privacy: { minDevices: 3 } });
        expect(histogram).toMatchObject({ status: 'done', asked: DEVICES, answered: DEVICES });
        expect((histogram.result as LabelHistogram).counts).toEqual(pooledHistogram([0, 1, 2, 3, 4]));
        // Each device lists its own numbers, and that they left masked.
        for (let i = 0; i < DEVICES; i++)
          expect(views.get(i)!.answeredQueries).toEqual([expect.objectContaining({ numbers: histogramOf(all[i]!), masked: true })]);

        // Central DP on a secure sum: the coordinator adds the noise to the one sum it unmasked, before anyone reads it.
        const noised = await ask({ kind: 'label-histogram', privacy: { minDevices: 3, epsilon: 1, examplesPerDevice: ROWS } });
        expect(noised).toMatchObject({ status: 'done', answered: DEVICES });
        const { counts, noise } = noised.result as LabelHistogram;
        expect(noise).toMatchObject({ mechanism: 'laplace', epsilon: 1 });
        counts.forEach((n, c) => expect(Math.abs(n - pooledHistogram([0, 1, 2, 3, 4])[c]!)).toBeLessThanOrEqual(noise!.noiseBound.counts!));
        expect(counts).not.toEqual(pooledHistogram([0, 1, 2, 3, 4]));

        // examplesPerDevice bounds what one device's sums may hold, so their scale (and rounding) is fine enough.
        const stats = await ask({
          kind: 'column-stats',
          columns: [{ name: 'f1', low: 0, high: 10, bins: 5 }],
          privacy: { minDevices: 3, examplesPerDevice: ROWS },
        });
        expect(stats).toMatchObject({ status: 'done', answered: DEVICES });
        const values = all.flatMap(f1Of);
        const mean = values.reduce((a, b) => a + b, 0) / values.length;
        const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
        const bins = [0, ...[0, 1, 2, 3, 4].map((b) => values.filter((v) => Math.floor(v / 2) === b).length), 0];
        const [column] = (stats.result as ColumnStats).columns;
        expect((stats.result as ColumnStats).count).toBe(values.length);
        expect(column!.bins).toEqual(bins);
        // Sums travel scaled onto 2^32 / 5 levels: each device's within 12 x 10 / 859 million, the mean within 1e-8.
        expect(column!.mean).toBeCloseTo(mean, 6);
        expect(column!.variance).toBeCloseTo(variance, 5);

        // Device 4 computes no answer, so it waits in the masked-input stage after sharing its keys; then it leaves.
        const sharedBefore = (await eventsOf()).filter((e) => /secure sum: 5 devices shared their keys/.test(e.message)).length;
        gates.holdAnswers.add(4);
        const dropped = ask({ kind: 'label-histogram', privacy: { minDevices: 3 } });
        await until(
          async () => ((await eventsOf()).filter((e) => /secure sum: 5 devices shared their keys/.test(e.message)).length > sharedBefore ? true : undefined),
          'keys shared',
        );
        sessions[4]!.close();
        const withoutFour = await dropped;
        expect(withoutFour).toMatchObject({ status: 'done', asked: 5, answered: 4 });
        expect((withoutFour.result as LabelHistogram).counts).toEqual(pooledHistogram([0, 1, 2, 3]));
        await restart([4]);

        // Two gone after sharing their keys leave 3, below the threshold of 4: nothing is reported.
        gates.holdAnswers.add(3).add(4);
        const below = ask({ kind: 'label-histogram', privacy: { minDevices: 3 } });
        await until(
          async () =>
            (await eventsOf()).filter((e) => /secure sum: 5 devices shared their keys/.test(e.message)).length > sharedBefore + 1 ? true : undefined,
          'keys shared',
        );
        sessions[3]!.close();
        sessions[4]!.close();
        expect(await below).toMatchObject({
          status: 'refused',
          result: null,
          reason:
            'its secure sum stopped at the masked-input stage: only 3 devices sent masked updates and secure aggregation needs at least 4, so no sum is published. Ask again when more devices are online.',
        });
        await restart([3, 4]);

        // A secure training round and a secure query at once: the round's masked inputs wait for training while the query runs.
        await api('POST', `/api/federations/${FEDERATION}/start`, {});
        await until(
          async () => ((await eventsOf()).some((e) => /^round 1, secure aggregation: 5 devices shared their keys/.test(e.message)) ? true : undefined),
          'the round’s keys',
        );
        const during = await ask({ kind: 'label-histogram', privacy: { minDevices: DEVICES } });
        expect((during.result as LabelHistogram).counts).toEqual(pooledHistogram([0, 1, 2, 3, 4]));
        openTraining();
        await until(
          async () => ((await api<{ status: string }>('GET', `/api/federations/${FEDERATION}`)).status === 'finished' ? true : undefined),
          'the round to close',
        );
        const [round] = await api<RoundRecord[]>('GET', `/api/federations/${FEDERATION}/rounds`);
        expect(round).toMatchObject({ round: 1, participants: DEVICES });
        const closedAt = (await eventsOf()).find((e) => e.kind === 'round-closed')!.at;
        expect(during.finishedAt! < closedAt).toBe(true);

        // The coordinator took no answer in the clear, and no masked vector of a query is a device's answer.
        expect(clearAnswers).not.toHaveBeenCalled();
        const queryVectors = masked.filter((m) => m.round >= QUERY_SECURE_ROUND_BASE);
        expect(queryVectors.length).toBe(5 + 5 + 5 + 4 + 3 + 5);
        const plain = all.map((d) => [...histogramOf(d), 1]);
        for (const { words } of queryVectors) {
          expect(plain.some((p) => p.length === words.length && p.every((w, j) => w === words[j]))).toBe(false);
          expect(words.filter((w) => w > 1_000).length).toBeGreaterThanOrEqual(words.length - 1);
        }
        expect(masked.filter((m) => m.round === 1)).toHaveLength(DEVICES);
      } finally {
        vi.restoreAllMocks();
        for (const s of sessions) s.close();
      }
    },
  );
});
