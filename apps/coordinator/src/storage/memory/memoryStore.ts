import type { DeviceEvaluation, DeviceRoundBytes, FederationConfig, FederationStatus, LocalEvaluation, RoundRecord } from '@flock/fl-core';
import type { Contribution } from '../../rounds/engineEffects.ts';
import { EventLog } from '../eventLog.ts';
import { configFromStore, configToStore } from '../storedConfig.ts';
import {
  LeaseLostError,
  type CoordinatorStore,
  type DeviceRepository,
  type EvaluationRepository,
  type FederationRepository,
  type LeaseFence,
  type ModelRepository,
  type RoundRepository,
  type StoreOptions,
  type StoredDevice,
  type StoredFederation,
  type StoredModel,
  type StoredModelState,
} from '../store.ts';
import { MemoryCoordinators } from './memoryCoordinators.ts';
import { MemoryDevices } from './memoryDevices.ts';
import { MemoryEventRows, isoOf } from './memoryEvents.ts';
import { MemoryLeases } from './memoryLeases.ts';
import { MemoryQueries } from './memoryQueries.ts';
import { MemorySharedRounds } from './memorySharedRounds.ts';
import { MemoryTokens, MemoryUploadedModels } from './memoryRecords.ts';

type FoldedUpdate = Contribution & { aggregatedRound: number };

interface FederationEntry {
  config: FederationConfig;
  status: FederationStatus;
  round: number;
  archived: boolean;
  rounds: Map<number, RoundRecord>;
  models: Map<number, StoredModelState>;
  devices: Map<string, StoredDevice>;
  /** By device and trained round. */
  contributions: Map<string, FoldedUpdate>;
  evaluations: Map<string, DeviceEvaluation>;
}

/**
 * The coordinator's data in this process only: for tests and runs that need nothing kept. It holds
 * copies, never the caller's objects, and refuses what the database's keys refuse, so code tested on
 * it behaves the same on PgliteStore.
 */
export class MemoryStore implements CoordinatorStore {
  private readonly all = new Map<string, FederationEntry>();
  readonly federations: FederationRepository;
  readonly rounds: RoundRepository;
  readonly models: ModelRepository;
  readonly devices: DeviceRepository;
  readonly evaluations: EvaluationRepository;
  readonly uploadedModels = new MemoryUploadedModels();
  readonly tokens = new MemoryTokens();
  readonly leases = new MemoryLeases();
  readonly sharedRounds = new MemorySharedRounds(this.leases);
  readonly coordinators = new MemoryCoordinators();
  readonly queries = new MemoryQueries();
  readonly events: EventLog;

  constructor(options: StoreOptions = {}) {
    this.events = new EventLog(new MemoryEventRows(), options.eventLog);
    this.federations = {
      list: async () => [...this.all.values()].map((f) => ({ config: configFromStore(f.config), status: f.status, round: f.round }) satisfies StoredFederation),
      create: async (config, initialModel) => {
        if (this.all.has(config.id)) throw new Error(`federation "${config.id}" is already stored`);
        this.all.set(config.id, {
          config: structuredClone(configToStore(config)),
          status: 'idle',
          round: 0,
          archived: false,
          rounds: new Map(),
          models: new Map([[0, { bytes: initialModel.slice(), serverState: null }]]),
          devices: new Map(),
          contributions: new Map(),
          evaluations: new Map(),
        });
      },
      setStatus: async (id, status) => {
        const f = this.all.get(id);
        if (f) f.status = status;
      },
      replaceConfigIfUnstarted: async (config, initialModel) => {
        const f = this.all.get(config.id);
        if (!f || f.status !== 'idle' || f.round !== 0) return false;
        f.config = structuredClone(configToStore(config));
        const initial = f.models.get(0);
        if (initial) initial.bytes = initialModel.slice();
        return true;
      },
      archivedIds: async () => new Set([...this.all].filter(([, f]) => f.archived).map(([id]) => id)),
      setArchived: async (id, archived) => {
        const f = this.all.get(id);
        if (f) f.archived = archived;
      },
    };
    this.rounds = {
      list: async (id) => [...(this.all.get(id)?.rounds.values() ?? [])].sort((a, b) => a.round - b.round).map((r) => ({ ...r })),
      save: async (id, record, model, contributions, fence) => this.saveRound(this.federation(id), record, model, contributions, fence),
      contributionsSince: async (id, afterRound) =>
        [...(this.all.get(id)?.contributions.values() ?? [])]
          .filter((c) => c.aggregatedRound > afterRound)
          .map((c) => ({ deviceId: c.deviceId, round: c.round })),
      deviceBytes: async (id, rounds) => {
        const logged = this.loggedContributions(id);
        const newest = Math.max(0, ...logged.map((c) => c.aggregatedRound));
        return logged
          .filter((c) => c.aggregatedRound > newest - rounds)
          .sort((a, b) => b.aggregatedRound - a.aggregatedRound || (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0))
          .map(bytesOf);
      },
      contributionBytes: async (id, round) =>
        this.loggedContributions(id)
          .filter((c) => round === undefined || c.aggregatedRound === round)
          .map(bytesOf),
    };
    this.models = {
      latest: async (id): Promise<StoredModel | null> => {
        const models = this.all.get(id)?.models;
        if (!models || models.size === 0) return null;
        const round = Math.max(...models.keys());
        const model = models.get(round)!;
        return { round, bytes: model.bytes.slice(), serverState: model.serverState?.slice() ?? null };
      },
    };
    this.devices = new MemoryDevices((id) => this.all.get(id)?.devices);
    this.evaluations = {
      save: async (id, deviceId, round, e: LocalEvaluation) => {
        const report = { deviceId, round, accuracy: e.accuracy, loss: e.loss, examples: e.examples, reportedAt: new Date().toISOString() };
        this.federation(id).evaluations.set(JSON.stringify([deviceId, round]), report);
      },
      list: async (id) =>
        [...(this.all.get(id)?.evaluations.values() ?? [])]
          .sort((a, b) => a.round - b.round || (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0))
          .map((e) => ({ ...e })),
    };
  }

  close(): Promise<void> {
    return this.events.close();
  }

  private federation(id: string): FederationEntry {
    const f = this.all.get(id);
    if (!f) throw new Error(`there is no stored federation "${id}"`);
    return f;
  }

  /** Checks everything before changing anything, so a refused round leaves no trace (as a rolled-back transaction). */
  private saveRound(f: FederationEntry, record: RoundRecord, model: StoredModelState, contributions: Contribution[], fence?: LeaseFence): void {
    if (fence && !this.leases.holds(f.config.id, fence)) throw new LeaseLostError(f.config.id);
    if (f.rounds.has(record.round)) throw new Error(`round ${record.round} of federation "${f.config.id}" is already stored`);
    const added = contributions.map((c) => [JSON.stringify([c.deviceId, c.round]), c] as const);
    const keys = new Set(added.map(([key]) => key));
    if (keys.size < added.length || added.some(([key]) => f.contributions.has(key))) {
      throw new Error(`an update folded into round ${record.round} of federation "${f.config.id}" was already counted`);
    }
    f.rounds.set(record.round, storedRound(record));
    f.models.set(record.round, { bytes: model.bytes.slice(), serverState: model.serverState?.slice() ?? null });
    f.round = record.round;
    for (const deviceId of new Set(contributions.map((c) => c.deviceId))) {
      const device = f.devices.get(deviceId);
      if (device) device.roundsContributed += 1;
    }
    for (const [key, c] of added) {
      f.contributions.set(key, { ...c, aggregatedRound: record.round });
    }
    if (fence) this.sharedRounds.end(f.config.id);
  }

  /** Updates whose traffic was counted (all since traffic was recorded per device). */
  private loggedContributions(id: string): Array<FoldedUpdate & { bytesUp: number }> {
    return [...(this.all.get(id)?.contributions.values() ?? [])].filter((c): c is FoldedUpdate & { bytesUp: number } => c.bytesUp !== undefined);
  }
}

/** A round record as a database gives it back: absent optional numbers read as null or stay absent. */
function storedRound(r: RoundRecord): RoundRecord {
  const { abandonedBytesUp, abandonedBytesDown, ...rest } = r;
  return {
    ...rest,
    epsilon: r.epsilon ?? null,
    completedAt: isoOf(r.completedAt),
    ...(abandonedBytesUp === undefined ? {} : { abandonedBytesUp }),
    ...(abandonedBytesDown === undefined ? {} : { abandonedBytesDown }),
  };
}

function bytesOf(c: FoldedUpdate & { bytesUp: number }): DeviceRoundBytes {
  return {
    round: c.aggregatedRound,
    deviceId: c.deviceId,
    bytesUp: c.bytesUp,
    bytesDown: c.bytesDown ?? null,
    ...(c.abandonedBytesUp === undefined ? {} : { abandonedBytesUp: c.abandonedBytesUp }),
    ...(c.abandonedBytesDown === undefined ? {} : { abandonedBytesDown: c.abandonedBytesDown }),
  };
}
