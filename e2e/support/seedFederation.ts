import { DEFAULT_DEADLINE, type FederationConfig, type RoundRecord } from '@flock/fl-core';
import { prepareFederationModel } from '../../apps/coordinator/src/federations/federationModel.ts';
import type { Contribution } from '../../apps/coordinator/src/rounds/engineEffects.ts';
import { openStore } from '../../apps/coordinator/src/storage/openStore.ts';

export interface SeedOptions {
  devices: number;
  rounds: number;
  federationId?: string;
  /** Devices whose update each round folds in (default 10, at most `devices`). */
  participantsPerRound?: number;
}

const ROUND_MS = 60_000;
const CLASSES = ['setosa', 'versicolor', 'virginica'];

/**
 * A finished federation with `devices` own-data devices and `rounds` rounds (accuracy, loss, bytes,
 * participants), the event log and per-device bytes, written into `dataDir` through the coordinator's
 * own storage code, so a coordinator started on that data dir serves it as if it had run it.
 * The model is the tabular MLP on 4 features (a few KB), so 200 stored round models stay small.
 */
export async function seedDataDir(dataDir: string, options: SeedOptions): Promise<{ federationId: string }> {
  const federationId = options.federationId ?? 'seeded';
  const perRound = Math.min(options.participantsPerRound ?? 10, options.devices);
  const config: FederationConfig = {
    id: federationId,
    name: `Seeded: ${options.devices} devices, ${options.rounds} rounds`,
    model: 'tabular-mlp',
    dataset: {
      kind: 'device',
      schema: { type: 'csv', features: ['sepal length', 'sepal width', 'petal length', 'petal width'], label: 'species', classes: CLASSES },
      testFraction: 0.2,
    },
    training: { epochs: 1, batchSize: 10, learningRate: 0.1 },
    maxRounds: Math.max(options.rounds, 1),
    minDevices: 1,
    clientsPerRound: perRound,
    deadline: DEFAULT_DEADLINE,
    quorum: 0.5,
    belowQuorum: 'extend-once',
    mode: { kind: 'sync' },
    evalExamples: 100,
    modelSeed: 1,
  };
  const model = await prepareFederationModel(config, { get: async () => null });
  if (!model.ok) throw new Error(`seeded federation: ${model.reason}`);
  const modelBytes = model.value.encoded.byteLength;

  // The history ends a minute ago: within the event log's retention, which prunes by age.
  const seedStart = Date.now() - (options.rounds + 1) * ROUND_MS;
  const store = await openStore({ dataDir });
  try {
    await store.federations.create(config, model.value.encoded);
    const deviceId = (i: number) => `device-${String(i + 1).padStart(4, '0')}`;
    const lastSeenMs = seedStart + options.rounds * ROUND_MS;
    for (let i = 0; i < options.devices; i++) {
      await store.devices.upsert(federationId, {
        deviceId: deviceId(i),
        shardIndex: -(i + 1),
        backend: i % 3 === 0 ? 'wasm' : i % 3 === 1 ? 'cpu' : 'webgl',
        adapter: null,
        roundsContributed: 0,
        examples: 40 + ((i * 37) % 160),
        lastSeen: new Date(lastSeenMs - ((i * 7919) % (options.rounds * ROUND_MS + 1))),
      });
      store.events.append({
        at: new Date(seedStart + i).toISOString(),
        federationId,
        level: 'info',
        kind: 'device-joined',
        message: `device ${deviceId(i)} joined with its own data`,
        deviceId: deviceId(i),
      });
      if (i % 500 === 499) await store.events.written();
    }
    await store.events.written();

    for (let round = 1; round <= options.rounds; round++) {
      const startedAt = seedStart + (round - 1) * ROUND_MS;
      // Every 25th round was paused once and redone: its first attempt's traffic is abandoned traffic.
      const calledOff = round % 25 === 0;
      const contributions: Contribution[] = Array.from({ length: perRound }, (_, k) => ({
        deviceId: deviceId((round * 7 + k * 97) % options.devices),
        round,
        bytesUp: modelBytes + 64 + ((round + k) % 5) * 16,
        bytesDown: modelBytes,
        abandonedBytesUp: calledOff && k === 0 ? modelBytes + 64 : 0,
        abandonedBytesDown: calledOff ? modelBytes : 0,
      }));
      const unique = [...new Map(contributions.map((c) => [c.deviceId, c])).values()];
      const progress = 1 - Math.exp(-round / 30);
      const durationMs = 4_000 + ((round * 131) % 3_000);
      const record: RoundRecord = {
        round,
        participants: unique.length,
        examples: unique.length * 100,
        accuracy: 0.33 + 0.6 * progress,
        loss: 1.1 * (1 - progress) + 0.12,
        trainLoss: 1.0 * (1 - progress) + 0.1,
        trainAccuracy: 0.35 + 0.6 * progress,
        durationMs,
        bytesUp: unique.reduce((sum, c) => sum + (c.bytesUp ?? 0), 0),
        bytesDown: unique.reduce((sum, c) => sum + (c.bytesDown ?? 0), 0),
        abandonedBytesUp: unique.reduce((sum, c) => sum + (c.abandonedBytesUp ?? 0), 0),
        abandonedBytesDown: unique.reduce((sum, c) => sum + (c.abandonedBytesDown ?? 0), 0),
        rejected: round % 17 === 0 ? 1 : 0,
        completedAt: new Date(startedAt + durationMs).toISOString(),
        closedBy: round % 9 === 0 ? 'deadline' : 'all-answered',
        deadlineMs: 30_000,
        extended: round % 23 === 0,
        meanStaleness: null,
        epsilon: null,
      };
      await store.rounds.save(federationId, record, { bytes: model.value.encoded, serverState: null }, unique);
      store.events.append({
        at: new Date(startedAt).toISOString(),
        federationId,
        level: 'info',
        kind: 'round-started',
        message: `round ${round} started with ${unique.length} devices`,
        deviceId: null,
      });
      store.events.append({
        at: record.completedAt,
        federationId,
        level: record.closedBy === 'deadline' ? 'warn' : 'info',
        kind: 'round-closed',
        message: `round ${round} closed with ${unique.length} of ${unique.length} updates; accuracy ${(record.accuracy! * 100).toFixed(1)}%`,
        deviceId: null,
      });
      if (round % 100 === 0) await store.events.written();
    }
    await store.federations.setStatus(federationId, options.rounds > 0 ? 'finished' : 'idle');
  } finally {
    await store.close();
  }
  return { federationId };
}
