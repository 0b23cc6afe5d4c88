import { buildModel, predictLabels, writeWeights, type EventLogEntry, type ImageDataset, type RoundRecord } from '@flock/fl-core';
import { confusionAnswer, type QueryResult } from '@flock/fl-core/analytics';
import { DeviceSession, type DeviceData, type DeviceSessionView } from '@flock/fl-core/device';
import { InProcessTrainer, MemoryShards, nodeAdapters } from '@flock/fl-core/node';
import { testFederationConfig } from '@flock/fl-core/testing';
import { describe, expect, it } from 'vitest';
import { askQuery } from '../testing/queryCalls.ts';
import { restOk } from '../testing/restCalls.ts';
import { until, useTestCoordinator } from '../testing/testCoordinator.ts';

type LabelHistogramResult = Extract<QueryResult, { kind: 'label-histogram' }>;
type ConfusionResult = Extract<QueryResult, { kind: 'confusion-matrix' }>;

const TOKEN = 'queries-test-admin-token';
const FEDERATION = 'queried';
const DEVICES = ['q-device-1', 'q-device-2', 'q-device-3', 'q-device-4'];
const EXAMPLES = 60;
const env = useTestCoordinator('flock-queries-', TOKEN);

const api = <T>(method: string, path: string, body?: unknown) => restOk<T>(env.coordinator.url, TOKEN, method, path, body);

const ask = (body: unknown) => askQuery(env.coordinator.url, TOKEN, FEDERATION, body);

function histogramOf(labels: Uint8Array, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (const label of labels) counts[label]!++;
  return counts;
}

/** The confusion counts of the federation's global model now (read from the coordinator) on `examples`, computed here. */
async function globalConfusion(examples: ImageDataset[]): Promise<number[][]> {
  const res = await fetch(`${env.coordinator.url}/api/federations/${FEDERATION}/model/weights.bin`, { headers: { authorization: `Bearer ${TOKEN}` } });
  const model = buildModel('mnist-mlp');
  writeWeights(model, new Float32Array(await res.arrayBuffer()));
  try {
    return await Promise.all(examples.map(async (data) => Array.from(confusionAnswer(await predictLabels(model, data), data.labels, 10))));
  } finally {
    model.dispose();
  }
}

describe('federated analytics over sockets, with Node devices', () => {
  it(
    "answers a label histogram with the pooled truth of the devices' shards, refuses one below its floor, runs one beside a round without losing the round's updates, and answers the trained model's confusion matrix with the pooled truth",
    { timeout: 180_000 },
    async () => {
      await api(
        'POST',
        '/api/federations',
        testFederationConfig({
          id: FEDERATION,
          dataset: { kind: 'mnist', partition: 'shards', examplesPerDevice: EXAMPLES, numDevices: DEVICES.length, seed: 7 },
          training: { epochs: 3, batchSize: 10, learningRate: 0.1 },
          minDevices: DEVICES.length,
        }),
      );
      const url = env.coordinator.url;
      const shards = new MemoryShards(url);
      const shardOf = new Map<string, string>();
      const trainer = new InProcessTrainer((id) => shards.get(id));
      const views = new Map<string, DeviceSessionView>();
      const sessions = DEVICES.map((deviceId) => {
        // The shard each device was given, to know the truth its answers must add up to.
        const data: DeviceData = {
          prepare: (assignment, downloading, headers) => {
            shardOf.set(deviceId, assignment.shardId);
            return shards.prepare(assignment, downloading, headers);
          },
          examples: (shardId) => shards.examples(shardId),
        };
        return new DeviceSession({ deviceId, federationId: FEDERATION, backend: 'cpu', adapter: null }, nodeAdapters(url, data, trainer), (view) =>
          views.set(deviceId, view),
        );
      });
      for (const s of sessions) s.start();
      try {
        await until(
          async () => ([...views.values()].filter((v) => v.state === 'waiting-for-round').length === DEVICES.length ? true : undefined),
          'the devices to join',
        );
        const truth = DEVICES.map((d) => histogramOf(shards.get(shardOf.get(d)!).labels, 10)).reduce((sum, h) => sum.map((n, i) => n + h[i]!));

        const histogram = await ask({ kind: 'label-histogram', privacy: { minDevices: 3 } });
        expect(histogram).toMatchObject({ status: 'done', asked: DEVICES.length, answered: DEVICES.length, reason: null });
        const result = histogram.result as LabelHistogramResult;
        expect(result.counts).toEqual(truth);
        expect(result.devices).toBe(DEVICES.length);
        // Each device lists what left it: its own histogram, exactly.
        for (const d of DEVICES) {
          expect(views.get(d)!.answeredQueries).toEqual([
            {
              queryId: histogram.id,
              kind: 'label-histogram',
              at: expect.any(String) as string,
              whatLeaves: histogram.whatLeaves,
              numbers: histogramOf(shards.get(shardOf.get(d)!).labels, 10),
            },
          ]);
        }

        const belowFloor = await ask({ kind: 'label-histogram', privacy: { minDevices: 10 } });
        expect(belowFloor).toMatchObject({
          status: 'refused',
          result: null,
          reason: expect.stringMatching(/^only 4 devices are online and the query needs answers from at least 10/) as string,
        });

        await api('POST', `/api/federations/${FEDERATION}/start`, {});
        await until(async () => ([...views.values()].some((v) => v.state === 'training') ? true : undefined), 'a device to train');
        const duringRound = await ask({ kind: 'label-histogram', privacy: { minDevices: DEVICES.length } });
        expect((duringRound.result as LabelHistogramResult).counts).toEqual(truth);
        await until(
          async () => ((await api<{ status: string }>('GET', `/api/federations/${FEDERATION}`)).status === 'finished' ? true : undefined),
          'the round to close',
        );
        const [round] = await api<RoundRecord[]>('GET', `/api/federations/${FEDERATION}/rounds`);
        expect(round).toMatchObject({ round: 1, participants: DEVICES.length, examples: DEVICES.length * EXAMPLES });
        const events = await api<EventLogEntry[]>('GET', `/api/federations/${FEDERATION}/events`);
        const closedAt = events.find((e) => e.kind === 'round-closed')!.at;
        expect(duringRound.finishedAt! < closedAt).toBe(true);
        expect(events.filter((e) => e.kind === 'query-done').map((e) => e.message)).toEqual([
          `query ${histogram.id} (label-histogram) answered by 4 of 4 devices asked, without noise`,
          `query ${duringRound.id} (label-histogram) answered by 4 of 4 devices asked, without noise`,
        ]);
        expect(events.filter((e) => e.kind === 'query-refused').map((e) => e.message)).toEqual([
          expect.stringMatching(new RegExp(`^query ${belowFloor.id} \\(label-histogram\\) refused: only 4`)),
        ]);

        // The model after round 1, scored by each device on its shard: the sum equals the same model's counts on all the shards, computed here.
        const confusion = await ask({ kind: 'confusion-matrix', privacy: { minDevices: DEVICES.length } });
        expect(confusion).toMatchObject({ status: 'done', answered: DEVICES.length });
        const perDevice = await globalConfusion(DEVICES.map((d) => shards.get(shardOf.get(d)!)));
        const pooled = perDevice.reduce((sum, m) => sum.map((n, i) => n + m[i]!));
        const matrix = (confusion.result as ConfusionResult).matrix;
        expect(matrix.flat()).toEqual(pooled);
        expect(matrix.flat().reduce((a, b) => a + b)).toBe(DEVICES.length * EXAMPLES);
        expect((confusion.result as ConfusionResult).accuracy).toBeGreaterThan(0.1);
        DEVICES.forEach((d, i) => expect(views.get(d)!.answeredQueries.at(-1)).toMatchObject({ queryId: confusion.id, numbers: perDevice[i] }));
      } finally {
        for (const s of sessions) s.close();
        trainer.dispose();
      }
    },
  );
});
