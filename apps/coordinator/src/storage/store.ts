import type {
  AdapterInfo,
  BackendName,
  DeviceEvaluation,
  DevicePlatform,
  DeviceRoundBytes,
  FederationConfig,
  FederationStatus,
  LocalEvaluation,
  PartialAggregate,
  RoundRecord,
  TokenRecord,
} from '@flock/fl-core';
import type { QueryRecord } from '../analytics/queryRecord.ts';
import type { SigningKey } from '../auth/signingKey.ts';
import type { Contribution } from '../rounds/engineEffects.ts';
import type { EventLogOptions, EventRepository } from './eventLog.ts';

/**
 * Everything the coordinator keeps across restarts, in narrow parts typed by what their callers use.
 * Each implementation (storage/sql on PGlite and on PostgreSQL, storage/memory) passes the contract suite in storeContract.ts.
 */
export interface CoordinatorStore {
  federations: FederationRepository;
  rounds: RoundRepository;
  models: ModelRepository;
  devices: DeviceRepository;
  evaluations: EvaluationRepository;
  uploadedModels: UploadedModelRepository;
  tokens: TokenRepository;
  events: EventRepository;
  leases: LeaseRepository;
  coordinators: CoordinatorRepository;
  sharedRounds: SharedRoundRepository;
  queries: QueryRepository;
  /** Writes what the event log still holds and stops its timers; the store is not used afterwards. */
  close(): Promise<void>;
}

/** A store kept on disk, which can be copied while the coordinator runs (`flockctl backup`). */
export interface DurableStore extends CoordinatorStore {
  /** A backup file: the data and the signing key every token was signed with; a BackupRefusedError where another tool must copy the data. */
  backup(): Promise<Uint8Array>;
  /** The key every token is signed with, made when there is none: kept with the data, so every coordinator sharing the data shares it. */
  signingKey(): Promise<SigningKey>;
}

/** A store `flockctl backup` cannot copy; the message says what copies it instead. */
export class BackupRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupRefusedError';
  }
}

export interface StoreOptions {
  /** Event-log retention and where its background write errors go. */
  eventLog?: EventLogOptions;
}

export interface StoredFederation {
  config: FederationConfig;
  status: FederationStatus;
  /** Last completed round. */
  round: number;
}

export interface FederationRepository {
  /** Oldest first. A config stored without a codec reads as LEGACY_CODEC. */
  list(): Promise<StoredFederation[]>;
  /** The federation (idle, round 0) and its round-0 model appear together or not at all; an id already stored is refused. */
  create(config: FederationConfig, initialModel: Uint8Array): Promise<void>;
  setStatus(federationId: string, status: FederationStatus): Promise<void>;
  /**
   * An edit before the first start: the config and its round-0 model change together, and only
   * while the stored federation is still idle at round 0. Returns false when it no longer is.
   */
  replaceConfigIfUnstarted(config: FederationConfig, initialModel: Uint8Array): Promise<boolean>;
  archivedIds(): Promise<Set<string>>;
  setArchived(federationId: string, archived: boolean): Promise<void>;
}

/** A round's model as stored: its weights file and the strategy's server state after that round. */
export interface StoredModelState {
  bytes: Uint8Array;
  serverState: Float64Array | null;
}

export interface StoredModel extends StoredModelState {
  round: number;
}

export interface RoundRepository {
  /** By round. */
  list(federationId: string): Promise<RoundRecord[]>;
  /**
   * The round's record, its model, the federation's round counter, the participants' contribution
   * counts and the (device, trained round) pairs it folded in commit together: a crash never leaves
   * a record without its model, and a retry after a restart is recognised as already counted.
   * A round already saved is refused, and nothing of it is written.
   * With a `fence` the same transaction first checks the caller still holds the federation's lease
   * (a LeaseLostError, nothing written, when it does not) and ends the federation's shared round.
   */
  save(federationId: string, record: RoundRecord, model: StoredModelState, contributions: Contribution[], fence?: LeaseFence): Promise<void>;
  /** Updates folded into rounds after `afterRound`: what the engine must not count again. */
  contributionsSince(federationId: string, afterRound: number): Promise<Contribution[]>;
  /** Per device and round, the bytes of each update folded into the last `rounds` rounds and of the model it was sent, newest rounds first. */
  deviceBytes(federationId: string, rounds: number): Promise<DeviceRoundBytes[]>;
  /** Every update's bytes (up, and the model down) per device and the round it was folded into; `round` narrows to one round. */
  contributionBytes(federationId: string, round?: number): Promise<DeviceRoundBytes[]>;
}

export interface ModelRepository {
  /** The model of the newest stored round (0: the initial model); null for an unknown federation. */
  latest(federationId: string): Promise<StoredModel | null>;
}

export interface StoredDevice {
  deviceId: string;
  shardIndex: number;
  backend: BackendName | null;
  adapter: AdapterInfo | null;
  /** Absent: the device's hello did not say (a client from before platforms were named). */
  platform?: DevicePlatform;
  roundsContributed: number;
  examples: number;
  lastSeen: Date;
}

/** What a device brings to its first registration; the store picks its shard. */
export interface NewDevice {
  deviceId: string;
  backend: BackendName | null;
  adapter: AdapterInfo | null;
  platform?: DevicePlatform;
  lastSeen: Date;
  /** Own-data devices: the examples they declare; shard devices: null (examples come from shardSize). */
  ownExamples: number | null;
}

/** A registered device; new when this registration gave it its shard. */
export interface Registration {
  device: StoredDevice;
  isNew: boolean;
}

export interface DeviceRepository {
  /** By shard index. */
  list(federationId: string): Promise<StoredDevice[]>;
  /** A new device as given; a known one gets its backend, adapter, platform and last-seen time (its shard and contribution count stay). */
  upsert(federationId: string, device: StoredDevice): Promise<void>;
  /**
   * Registers a device atomically, whichever coordinator asks: a known device keeps its shard (its backend, adapter, platform, last seen and,
   * for an own-data device, its examples are refreshed); a new one gets the lowest free shard index >= 0 below `shardCount`
   * (examples: shardSize(index)), or for own data one below the lowest negative index held (-1 when none). Null when every shard is taken.
   * Concurrent calls from several coordinators never give one index twice. An unknown federation is refused.
   */
  register(federationId: string, device: NewDevice, shardCount: number, shardSize: (shardIndex: number) => number): Promise<Registration | null>;
}

/** Federated evaluation: what each device reported about each round's global model. */
export interface EvaluationRepository {
  /** A device's report for a round; a repeated report (a resent update) replaces the first. */
  save(federationId: string, deviceId: string, round: number, evaluation: LocalEvaluation): Promise<void>;
  /** Every report of a federation, by round, then device. */
  list(federationId: string): Promise<DeviceEvaluation[]>;
}

export interface UploadedModelInfo {
  id: string;
  name: string;
  inputShape: number[];
  numClasses: number;
  parameters: number;
  createdAt: string;
}

export interface StoredUploadedModel extends UploadedModelInfo {
  /** model.json with its weights manifest pointing at one file, `weights.bin`. */
  modelJson: Record<string, unknown>;
  weights: Uint8Array;
}

/** Models operators uploaded (tfjs LayersModels, validated on the way in). */
export interface UploadedModelRepository {
  /** An id already stored is refused. */
  save(model: Omit<StoredUploadedModel, 'createdAt'>): Promise<UploadedModelInfo>;
  /** Oldest first. */
  list(): Promise<UploadedModelInfo[]>;
  get(id: string): Promise<StoredUploadedModel | null>;
}

/** One TokenRecord per signed token (never the token itself): what was signed, what is revoked, which device id is bound to which credential. */
export interface TokenRepository {
  /** False when `record` is a device credential and its device id already holds a live one. */
  insert(record: Omit<TokenRecord, 'createdAt' | 'revokedAt'>): Promise<boolean>;
  /** The token, or null if it is unknown; revoking it again keeps the first revocation time. */
  revoke(id: string): Promise<TokenRecord | null>;
  revokedIds(): Promise<string[]>;
  /** Tokens minted for people (viewer and enrollment), newest first, at most 1,000; `federationId` narrows to one federation. */
  listMinted(federationId?: string): Promise<TokenRecord[]>;
  /** Whether the device id holds a live (unrevoked, unexpired) credential; an expired one is released first. */
  isBound(federationId: string, deviceId: string): Promise<boolean>;
}

/** Which coordinator runs a federation's rounds, until when, and under which epoch. */
export interface FederationLease {
  federationId: string;
  /** The coordinator's id (FLOCK_COORDINATOR_ID). */
  holder: string;
  /** Grows every time the lease is taken: a write that names an older epoch comes from a coordinator that lost it. */
  epoch: number;
  expiresAt: Date;
}

/**
 * Leases on federations, so that exactly one of several coordinators sharing a store runs each one's
 * rounds. Expiry is judged by the store's clock (the database server's), never by each coordinator's.
 */
export interface LeaseRepository {
  /** Takes the lease for `holder` when nobody holds it, it expired, or `holder` holds it already; the epoch grows. Null while another holder's lease lasts. */
  acquire(federationId: string, holder: string, ttlMs: number): Promise<FederationLease | null>;
  /** Extends `holder`'s lease taken at `epoch` by `ttlMs` from now; false when it was taken since (the holder must stop). */
  renew(federationId: string, holder: string, epoch: number, ttlMs: number): Promise<boolean>;
  /** Ends `holder`'s lease at `epoch` now, so another coordinator may take it at once; nothing when it was taken since. */
  release(federationId: string, holder: string, epoch: number): Promise<void>;
  /** Every federation's lease, by federation id. */
  list(): Promise<FederationLease[]>;
}

/** Proof the caller still holds a federation's lease at this epoch (LeaseRepository). */
export interface LeaseFence {
  holder: string;
  epoch: number;
}

/** A fenced write found the lease taken by another coordinator since, or expired: the caller no longer owns the federation. */
export class LeaseLostError extends Error {
  constructor(readonly federationId: string) {
    super(
      `another coordinator took over federation "${federationId}" (this coordinator's lease on it expired or was taken): this one no longer runs its rounds`,
    );
    this.name = 'LeaseLostError';
  }
}

/** The round the federation's owner opened, as every coordinator must know it to take updates for it. */
export interface SharedRound {
  federationId: string;
  round: number;
  /** Unique per opening: a redone round gets a new one, and an update folded for an older one is refused. */
  attempt: string;
  selected: string[];
  /** Epoch ms. */
  deadline: number;
  startedAt: number;
}

/** What a coordinator moved for a round, as the round record counts it: the model it sent in the attempt under way, and what attempts called off before moved. */
export interface RoundTraffic {
  bytesDown: number;
  abandonedBytesUp: number;
  abandonedBytesDown: number;
}

/** One coordinator's traffic of a shared round's attempt (SharedRoundRepository.sent). */
export interface CoordinatorTraffic extends RoundTraffic {
  coordinatorId: string;
}

/**
 * One device's update as counted: who took it and what the round record needs; its bytes are in a partial.
 * Its traffic is what the coordinator that took it sent and received for the device (its contribution's bytes).
 */
export interface CountedUpdate extends RoundTraffic {
  deviceId: string;
  coordinatorId: string;
  examples: number;
  loss: number;
  accuracy: number;
  bytesUp: number;
}

export type FoldOutcome = 'counted' | 'duplicate';

/**
 * The open round of each federation shared by the coordinators serving it: the owner opens it, any
 * coordinator folds the updates it receives into its own partial aggregate with a receipt per device,
 * and the owner merges every coordinator's partial to close it.
 */
export interface SharedRoundRepository {
  /** The owner opens (or redoes) a round: it replaces the federation's shared round, and every receipt and partial of the one before goes. False (nothing written) when the fence no longer holds. */
  open(round: SharedRound, fence: LeaseFence): Promise<boolean>;
  /** The federation's open shared round; null when none. */
  current(federationId: string): Promise<SharedRound | null>;
  /**
   * One transaction: for each item a receipt (federation, round, device) unless the device already has one for this round;
   * the partials of the items newly received are added into `coordinatorId`'s partial of the round. Outcomes in item order
   * (a device named twice counts at its first item). 'stale' (nothing written) when `attempt` is not the federation's open round any more.
   */
  fold(
    federationId: string,
    attempt: string,
    coordinatorId: string,
    items: { update: CountedUpdate; partial: PartialAggregate }[],
  ): Promise<FoldOutcome[] | 'stale'>;
  /** Every coordinator's partial of the attempt (empty for an unknown one), by coordinator id. */
  partials(federationId: string, attempt: string): Promise<PartialAggregate[]>;
  /** Every receipt of the attempt, by device id. */
  receipts(federationId: string, attempt: string): Promise<CountedUpdate[]>;
  /**
   * A coordinator is about to send the attempt's model: `traffic.bytesDown` is added to its traffic of the attempt, and the
   * abandoned figures (its own for the round so far, which do not change within an attempt) replace smaller ones. False
   * (nothing written) when `attempt` is not the federation's open round any more: that model must not go out.
   */
  sent(federationId: string, attempt: string, coordinatorId: string, traffic: RoundTraffic): Promise<boolean>;
  /**
   * The owner closes the round: from this transaction on, a fold or send for `attempt` is refused, and every partial,
   * receipt and coordinator's traffic recorded before it are given (an update acknowledged as counted is in them).
   * Null when the fence no longer holds.
   */
  seal(federationId: string, attempt: string, fence: LeaseFence): Promise<SealedRound | null>;
  /** Nothing is open any more (abandoned, paused, stopped): the shared round, its receipts and partials go. False when the fence no longer holds. */
  discard(federationId: string, fence: LeaseFence): Promise<boolean>;
}

/** A shared round's attempt as its owner closes it; traffic by coordinator id. */
export interface SealedRound {
  partials: PartialAggregate[];
  receipts: CountedUpdate[];
  traffic: CoordinatorTraffic[];
}

/** What a coordinator says of itself every few seconds (cluster/coordinatorHeartbeat.ts). */
export interface CoordinatorHeartbeatInfo {
  /** FLOCK_COORDINATOR_ID. */
  id: string;
  url: string;
  startedAt: Date;
  /** Device sockets connected to it now. */
  devices: number;
}

export interface CoordinatorInfo extends CoordinatorHeartbeatInfo {
  /** Its latest heartbeat, by the store's clock. */
  lastSeen: Date;
  /** Heard from within the `aliveWithinMs` the list was asked with. */
  alive: boolean;
}

/** The coordinators sharing this store, as their heartbeats last described them. Time is the store's clock (the database server's). */
export interface CoordinatorRepository {
  /** Stores `info` with now as its last-seen time, replacing what the same id said before. */
  heartbeat(info: CoordinatorHeartbeatInfo): Promise<void>;
  /** Every coordinator that has not said goodbye, by id; alive when heard from within `aliveWithinMs`. */
  list(aliveWithinMs: number): Promise<CoordinatorInfo[]>;
  /** A coordinator closing cleanly says goodbye: it leaves the list. */
  remove(id: string): Promise<void>;
}

/**
 * Analytics queries (ids `q` and a number: `q12`), kept from their submission (so a query number is never handed out twice, even across a restart)
 * until they finish, so their records and the ε they spent outlive the coordinator: the federation's query privacy
 * ledger, charged against its privacy target with training's ε.
 */
export interface QueryRepository {
  /** Keeps a query as it is now (queued at submission, then finished); the same federation and id again replaces it. */
  save(record: QueryRecord): Promise<void>;
  /** Null when not stored. */
  find(federationId: string, queryId: string): Promise<QueryRecord | null>;
  /** The newest `limit`, newest (highest number) first. */
  list(federationId: string, limit: number): Promise<QueryRecord[]>;
  /** Each federation's ε spent by its done queries (their `privacy.epsilon`), in all; federations without one are absent. */
  epsilonSpent(): Promise<Map<string, number>>;
  /** The highest query number stored in any federation (q12: 12), 0 when none: a restarted coordinator numbers new queries after it. */
  lastNumber(): Promise<number>;
}

/** The number in a query id (`q12`: 12). */
export function queryNumber(queryId: string): number {
  return Number(queryId.slice(1));
}

/** The ε a query charged to its federation's ledger: a done query's `privacy.epsilon`; null without noise or when not done (nothing was reported). */
export function chargedEpsilon(record: QueryRecord): number | null {
  return record.status === 'done' ? (record.query.privacy.epsilon ?? null) : null;
}
