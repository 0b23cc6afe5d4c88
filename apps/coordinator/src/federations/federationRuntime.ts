import {
  decodeWeights,
  demoDataset,
  distributedNoiseOf,
  encodeWeights,
  manifestSize,
  privacyGuarantee,
  privacySpend,
  secureAggregationOf,
  secureAggregationClip,
  secureAggregationSentence,
  downlinkCodecOf,
  downlinkDeltaOf,
  roundCodecOf,
  type Ack,
  type DeviceEvaluation,
  type DeviceState,
  type EventLogEntry,
  type FederationConfig,
  type FederationStatusMessage,
  type FinalEvaluationMessage,
  type FinalModelMessage,
  type RoundAbandonedMessage,
  type FederationSummary,
  type HelloMessage,
  type HelloReply,
  type ParsedUpdateMessage,
  type RoundRecord,
  type RoundStartMessage,
  type WeightsManifest,
} from '@flock/fl-core';
import { describeError } from '@flock/fl-core/device';
import { answersQuery, queryContextOf, type AnalyticsQuery, type QueryAnswerMessage, type QueryContext } from '@flock/fl-core/analytics';
import type { SecAggAnswerMessage, SecAggRequestMessage } from '@flock/fl-core/secagg';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { QueryBook, Submitted } from '../analytics/queryBook.ts';
import type { MnistSource } from '../evaluation/mnistSource.ts';
import type { Evaluator } from '../evaluation/evaluationThread.ts';
import type { PendingWork } from '../pendingWork.ts';
import { contributionWindow, type Outcome } from '../rounds/engineCore.ts';
import type { EngineEffect } from '../rounds/engineEffects.ts';
import { createEngine, type FederationEngine } from '../rounds/federationEngine.ts';
import { privacyNote } from '../rounds/privacyBudget.ts';
import { maxPayloadBytes } from '../rounds/updatePayload.ts';
import {
  LeaseLostError,
  type CoordinatorStore,
  type CountedUpdate,
  type FederationLease,
  type LeaseFence,
  type SealedRound,
  type SharedRound,
  type StoredDevice,
  type StoredFederation,
} from '../storage/store.ts';
import type { ClusterBus } from '../cluster/clusterBus.ts';
import { FoldQueue } from '../cluster/foldQueue.ts';
import type { ClusterMessage, OnlineDevice, OperatorAction } from '../cluster/clusterMessages.ts';
import { SyncRoundEngine } from '../rounds/syncRoundEngine.ts';
import { DeviceRegistry } from './deviceRegistry.ts';
import { federationModelLayout, type PreparedModel } from './federationModel.ts';
import { DeviceTraffic } from './deviceTraffic.ts';
import { DownlinkModels } from './downlinkModels.ts';
import { FederationShards } from './federationShards.ts';
import { ownDataRefusal } from './ownData.ts';
import { deviceJoinedText, roundAbandonedText, roundClosedText, roundExtendedText, roundStartedText } from './eventWords.ts';
import { roundRecordOf, type RoundClosed } from './roundRecord.ts';
import { privacyTargetRefusal, QueryDriver, type QueryAsk } from './queryDriver.ts';
import { SecureRoundDriver } from './secureRounds.ts';

/**
 * The engine for what the store holds of a federation: its last stored model and round, the updates
 * already folded, and its round records. `online` is asked last, after every read, so a device that
 * connected meanwhile is in it: the caller takes the engine in the same turn of the event loop.
 */
async function engineFromStore(stored: StoredFederation, manifest: WeightsManifest, deps: RuntimeDeps, online: () => string[], sharedAggregation = false) {
  const { config } = stored;
  const latest = await deps.store.models.latest(config.id);
  if (!latest) throw new Error(`federation ${config.id} has no stored model`);
  const global = decodeWeights(latest.bytes, manifest).values;
  const recentContributions = await deps.store.rounds.contributionsSince(config.id, latest.round - contributionWindow(config));
  const rounds = await deps.store.rounds.list(config.id);
  const engine = createEngine(config, manifest, {
    status: stored.status,
    completedRounds: latest.round,
    global,
    recentContributions,
    serverState: latest.serverState,
    sharedAggregation,
    online: online(),
  });
  return { engine, rounds };
}

function onlineDevice(d: StoredDevice): OnlineDevice {
  const { deviceId, shardIndex, examples, backend, adapter, platform, roundsContributed } = d;
  return { deviceId, shardIndex, examples, backend, adapter, ...(platform ? { platform } : {}), roundsContributed };
}

/** What the transports do on the runtime's behalf. */
export interface FederationOutputs {
  sendRoundStart(federationId: string, deviceIds: string[], msg: RoundStartMessage): void;
  broadcastStatus(msg: FederationStatusMessage): void;
  /** Tells the federation's devices a round was called off, so those working on it stop or keep that work. */
  broadcastRoundAbandoned(msg: RoundAbandonedMessage): void;
  /** Hands the finished federation's final model to its devices online, to score on their held-out examples. */
  broadcastFinalModel(msg: FinalModelMessage): void;
  /** Secure aggregation: one device's part of a stage. */
  sendSecAggRequest(federationId: string, deviceId: string, msg: SecAggRequestMessage): void;
  /** Federated analytics: the same query to each of these devices. */
  sendQueryAsk(federationId: string, deviceIds: string[], msg: QueryAsk): void;
  changed(federationId: string): void;
  event(entry: EventLogEntry): void;
}

/** Several coordinators: how often an owner waiting for devices asks the others again which are online. */
const RECOUNT_EVERY_MS = 5_000;

export interface RuntimeDeps {
  store: CoordinatorStore;
  evaluator: Evaluator;
  mnist: MnistSource;
  logger: Logger;
  outputs: FederationOutputs;
  work: PendingWork;
  /** Every federation's analytics queries (one book per coordinator, for the REST routes). */
  queries: QueryBook;
  /** Set when several coordinators serve the federations (a shared database and Redis). */
  cluster?: ClusterDeps;
}

export interface ClusterDeps {
  bus: ClusterBus;
  /** The devices connected to any coordinator, in the federation's room (Socket.IO fetchSockets through the Redis adapter). */
  onlineDevices(federationId: string): Promise<string[]>;
  /** A fenced write found the federation's lease gone: this coordinator stops running it. */
  leaseLost(federationId: string): void;
}

/**
 * The adapter around one federation's SyncRoundEngine: carries out its effects (send the model,
 * evaluate, persist, then let the next round start) and keeps the device registry.
 */
export class FederationRuntime {
  private readonly log: Logger;
  private readonly downlink: DownlinkModels;
  private readonly shards: FederationShards;
  private readonly traffic = new DeviceTraffic();

  /** Several coordinators: the lease this one holds on the federation (it runs the rounds); null while another does. */
  private fence: LeaseFence | null = null;
  /** Several coordinators: the round the owner opened, whose updates this coordinator takes for it. */
  private shared: { round: SharedRound; selected: Set<string> } | null = null;
  /** Several coordinators: this coordinator's folds into the shared round, grouped into few transactions. */
  private folds: FoldQueue | null = null;
  /** Several coordinators, the owner: when it last asked the others to announce their devices. */
  private askedForDevicesAt = 0;
  /** Secure aggregation: the open round's stages. */
  private readonly secure: SecureRoundDriver;
  /** Federated analytics: the federation's queries, one running at a time beside the rounds. */
  private readonly queries: QueryDriver;
  /** The queries' ε the devices were last told of (hello reply, federation:status). */
  private announcedQueryEpsilon: number;

  private constructor(
    private readonly deps: RuntimeDeps,
    private engine: FederationEngine,
    private readonly devices: DeviceRegistry,
    private rounds: RoundRecord[],
    /** tfjs LayersModel topology, served with the weights so tf.loadLayersModel can fetch the global model. */
    readonly modelTopology: unknown,
  ) {
    this.log = deps.logger.child({ federationId: engine.config.id });
    this.downlink = new DownlinkModels(engine.manifest, downlinkCodecOf(engine.config), downlinkDeltaOf(engine.config));
    this.shards = new FederationShards(engine.config.dataset, deps.mnist);
    this.secure = new SecureRoundDriver({
      ask: (deviceId, msg) => deps.outputs.sendSecAggRequest(this.config.id, deviceId, msg),
      record: (level, kind, message) => this.record(level, kind, message),
      ended: (round, outcome) => {
        if (this.engine instanceof SyncRoundEngine) this.apply(this.engine.secureRoundEnded(round, outcome, Date.now()));
      },
    });
    this.queries = new QueryDriver(engine.config.id, deps.queries, {
      ask: (deviceIds, msg) => deps.outputs.sendQueryAsk(this.config.id, deviceIds, msg),
      model: () => ({
        round: this.engine.completedRounds + 1,
        model: this.config.model,
        weights: encodeWeights(this.manifest, this.engine.globalWeights, 'weights'),
      }),
      record: (level, kind, message) => this.record(level, kind, message),
      online: () => this.devices.onlineHere(),
      context: () => queryContextOf(this.config),
      refusal: (query, spent) => this.queryRefusal(query, spent),
      changed: () => {
        deps.outputs.changed(this.config.id);
        if (this.queries.epsilonSpent !== this.announcedQueryEpsilon) this.broadcastStatus(this.engine.status, this.engine.round);
      },
      secureAggregation: () => secureAggregationOf(this.config),
      askSecure: (deviceId, msg) => deps.outputs.sendSecAggRequest(this.config.id, deviceId, msg),
      track: (work) => deps.work.track(work),
    });
    this.announcedQueryEpsilon = this.queries.epsilonSpent;
  }

  /**
   * A stored federation, as the coordinator starts: one interrupted mid-round resumes as 'waiting'
   * from its last stored round and redoes the one in flight; updates already folded into stored
   * rounds are remembered, never re-counted.
   */
  static async load(stored: StoredFederation, deps: RuntimeDeps): Promise<FederationRuntime> {
    const { config } = stored;
    const layout = await federationModelLayout(config, deps.store.uploadedModels);
    if (!layout.ok) throw new Error(`federation ${config.id}: ${layout.reason}`);
    const { manifest, topology } = layout.value;
    // Several coordinators: each starts as a follower of what the database holds; the lease decides who runs it.
    const following = deps.cluster !== undefined;
    const interrupted = !following && (stored.status === 'training' || stored.status === 'aggregating');
    if (interrupted) await deps.store.federations.setStatus(config.id, 'waiting');
    const { engine, rounds } = await engineFromStore({ ...stored, status: interrupted ? 'waiting' : stored.status }, manifest, deps, () => []);
    const devices = new DeviceRegistry(config, await deps.store.devices.list(config.id));
    const runtime = new FederationRuntime(deps, engine, devices, rounds, topology);
    const latest = engine.completedRounds;
    if (following) {
      // A coordinator (re)starting mid-round takes that round's updates too.
      const current = await deps.store.sharedRounds.current(config.id);
      if (current?.round === latest + 1) runtime.followRound(current);
      return runtime;
    }
    if (interrupted) {
      runtime.record('warn', 'coordinator-restarted', `coordinator restarted mid-round: continuing after round ${latest}, round ${latest + 1} is redone`);
    } else if (stored.status !== 'idle') {
      runtime.record('info', 'coordinator-restarted', `coordinator restarted: federation ${stored.status} after round ${latest}`);
    }
    return runtime;
  }

  /**
   * A federation just stored idle at round 0 (created, or edited before its first start), from the
   * model it was stored with: nothing is built, read back or decoded again. `devices` joined it before an edit.
   */
  static fresh(config: FederationConfig, model: PreparedModel, devices: StoredDevice[], deps: RuntimeDeps): FederationRuntime {
    const engine = createEngine(config, model.manifest, {
      status: 'idle',
      completedRounds: 0,
      global: model.weights,
      recentContributions: [],
      serverState: null,
    });
    return new FederationRuntime(deps, engine, new DeviceRegistry(config, devices), [], model.topology);
  }

  /** Whether this coordinator runs the federation's rounds: always when it is alone; with several, while it holds the lease. */
  get runsRounds(): boolean {
    return !this.deps.cluster || this.fence !== null;
  }

  /**
   * Several coordinators: this one took the federation's lease. A round in flight is redone from the
   * last stored model (its partials are dropped, so nothing is counted twice), with every device
   * online on any coordinator.
   */
  async takeOver(fence: LeaseFence, previous: FederationLease | null): Promise<void> {
    const cluster = this.clusterDeps();
    const stored = await this.storedState();
    const interrupted = stored.status === 'training' || stored.status === 'aggregating';
    if (!(await this.deps.store.sharedRounds.discard(this.config.id, fence))) throw new LeaseLostError(this.config.id);
    if (interrupted) await this.deps.store.federations.setStatus(this.config.id, 'waiting');
    const online = await cluster.onlineDevices(this.config.id);
    // Which coordinator holds each of them the others say again once they hear of the takeover ('owner').
    await this.knowDevices(online);
    const { engine, rounds } = await engineFromStore(
      { ...stored, status: interrupted ? 'waiting' : stored.status },
      this.manifest,
      this.deps,
      // What every coordinator had when asked, and what connected here since (nobody announces those to this coordinator).
      () => [...new Set([...online, ...this.devices.onlineHere()])],
      true,
    );
    this.engine = engine;
    this.rounds = rounds;
    this.fence = fence;
    this.shared = null;
    const me = fence.holder;
    const redo = interrupted ? `; round ${engine.completedRounds + 1} is redone from round ${engine.completedRounds}'s model` : '';
    if (previous && previous.holder !== me) {
      this.record(
        'warn',
        'coordinator-took-over',
        `coordinator ${me} took over this federation from coordinator ${previous.holder}, whose lease ended without being renewed (it stopped, or lost the database)${redo}`,
      );
    } else {
      this.record('info', 'coordinator-took-over', `coordinator ${me} runs this federation's rounds${redo}`);
    }
    this.askOthersForDevices(fence, Date.now());
    this.tick(Date.now());
    this.deps.outputs.changed(this.config.id);
  }

  /** This runtime replaces `previous` (the federation was edited): the devices connected here stay so, and with several coordinators it runs the rounds if that one did. */
  async continueFrom(previous: FederationRuntime): Promise<void> {
    if (previous.fence) await this.takeOver(previous.fence, null);
    for (const deviceId of previous.devices.onlineHere()) this.deviceConnected(deviceId);
    const now = Date.now();
    previous.queries.abandon('the federation was edited while it ran, and its devices may hold other data now: ask again', now);
    this.queries.startNext(now);
  }

  /** Several coordinators: another one holds the lease now; this one goes on taking updates for the rounds it opens. */
  async handOver(): Promise<void> {
    if (!this.fence) return;
    this.fence = null;
    // The new owner counted the devices online when it took over; those that came here since would be missed.
    for (const deviceId of this.devices.onlineHere()) this.announceDevice(deviceId, true);
    this.record(
      'warn',
      'coordinator-handed-over',
      `coordinator ${this.clusterDeps().bus.coordinatorId} no longer runs this federation's rounds: another coordinator holds its lease`,
    );
    await this.followStore();
  }

  /** Several coordinators, not the owner: reads the status, rounds and model again after the owner changed them. */
  async followStore(known?: StoredFederation): Promise<void> {
    if (this.runsRounds) return;
    const stored = known ?? (await this.storedState());
    const { engine, rounds } = await engineFromStore(stored, this.manifest, this.deps, () => []);
    const current = await this.deps.store.sharedRounds.current(this.config.id);
    if (this.runsRounds) return;
    this.engine = engine;
    this.rounds = rounds;
    if (current?.round === engine.completedRounds + 1) this.followRound(current);
    else if (stored.status !== 'training') this.shared = null;
    this.deps.outputs.changed(this.config.id);
  }

  /** Several coordinators, not the owner: a round the owner opened, learnt from its message or from the database; the devices here selected for it get the model, once. */
  private followRound(round: SharedRound): void {
    if (this.shared?.round.attempt === round.attempt) return;
    // What this coordinator moved for an earlier attempt at the round (followed, or run before a failover) was called off.
    this.traffic.abandoned(round.round);
    this.shared = { round, selected: new Set(round.selected) };
    this.deps.work.track(this.sendFollowedRound(round, this.devices.onlineHere(round.selected)));
    this.deps.outputs.changed(this.config.id);
  }

  /**
   * Several coordinators, not the owner: the model goes out once the database holds its bytes (and what
   * this coordinator moved in attempts called off before), so the owner's round record counts them once;
   * it does not go out for an attempt already closed or redone.
   */
  private async sendFollowedRound(round: SharedRound, deviceIds: string[]): Promise<void> {
    const global = this.engine.globalWeights;
    const payloads = this.downlink.payloadsFor(round.round, global, deviceIds);
    const bytesDown = payloads.reduce((n, { payload, deviceIds: ids }) => n + payload.weights.byteLength * ids.length, 0);
    const { abandonedBytesUp, abandonedBytesDown } = this.traffic.roundTotals(round.round);
    if (bytesDown + abandonedBytesUp + abandonedBytesDown === 0) return;
    const traffic = { bytesDown, abandonedBytesUp, abandonedBytesDown };
    if (!(await this.deps.store.sharedRounds.sent(this.config.id, round.attempt, this.clusterDeps().bus.coordinatorId, traffic))) return;
    if (deviceIds.length > 0) this.sendRound(round.round, deviceIds, round.deadline, global, payloads);
  }

  /** Several coordinators: what another coordinator said about this federation. */
  async onClusterMessage(m: Exclude<ClusterMessage, { kind: 'federation-changed' }>): Promise<void> {
    const cluster = this.clusterDeps();
    switch (m.kind) {
      case 'device': {
        if (!this.runsRounds) return;
        this.devices.adopt({ ...m.device, lastSeen: new Date() });
        const { deviceId } = m.device;
        this.devices.connectedElsewhere(deviceId, m.from, m.online);
        const now = Date.now();
        if (m.online) this.apply(this.engine.deviceOnline(deviceId, now));
        else if (!this.devices.isOnline(deviceId)) this.apply(this.engine.deviceOffline(deviceId, now));
        this.deps.outputs.changed(this.config.id);
        return;
      }
      case 'round-opened': {
        if (this.runsRounds) return;
        const { round } = m;
        if (this.engine.completedRounds !== round.round - 1) await this.followStore();
        if (this.engine.completedRounds !== round.round - 1) {
          this.log.warn({ round: round.round }, 'a round opened on a model this coordinator cannot read yet: its devices here wait for the next one');
          return;
        }
        this.followRound(round);
        return;
      }
      case 'counted':
        if (!this.runsRounds || this.shared?.round.attempt !== m.attempt) return;
        this.apply(this.sharedEngine().countShared(m.update, Date.now()));
        return;
      case 'operate':
        if (this.fence) this[m.action]();
        return;
      case 'owner':
        for (const device of this.devices.onlineHere()) {
          const stored = this.devices.get(device);
          if (stored) cluster.bus.publish({ kind: 'device', federationId: this.config.id, device: onlineDevice(stored), online: true });
        }
        return;
      default: {
        const unhandled: never = m;
        throw new Error(`unhandled cluster message ${JSON.stringify(unhandled)}`);
      }
    }
  }

  get config() {
    return this.engine.config;
  }

  get manifest(): WeightsManifest {
    return this.engine.manifest;
  }

  get globalWeights(): Float32Array {
    return this.engine.globalWeights;
  }

  summary(): FederationSummary {
    return {
      config: this.config,
      status: this.engine.status,
      round: this.runsRounds ? this.engine.round : (this.shared?.round.round ?? this.engine.round),
      updatesThisRound: this.engine.updatesThisRound,
      selectedThisRound: this.engine.selectedThisRound,
      privacySpend: privacySpend(this.config.privacy, this.rounds.at(-1)?.epsilon ?? null, this.queries.epsilonSpent),
    };
  }

  roundRecords(): RoundRecord[] {
    return [...this.rounds];
  }

  lastRoundRecord(): RoundRecord | null {
    return this.rounds[this.rounds.length - 1] ?? null;
  }

  deviceList() {
    return this.devices.list();
  }

  deviceCounts() {
    return this.devices.counts();
  }

  start(): Outcome {
    return this.operate('start', 'started', (now) => this.engine.start(now));
  }

  /** No new work goes out; a synchronous round in flight is redone on resume. */
  pause(): Outcome {
    return this.operate('pause', 'paused', () => this.engine.pause());
  }

  resume(): Outcome {
    return this.operate('resume', 'resumed', (now) => this.engine.resume(now));
  }

  /** Final: the model and history stay (and downloadable), training never restarts. */
  stop(): Outcome {
    return this.operate('stop', 'stopped', () => this.engine.stop());
  }

  /**
   * An operator's action. With several coordinators, one that does not run the federation checks it
   * on its copy of the engine, stores the status it leads to (a coordinator taking the federation over
   * later starts from it), and its owner carries it out.
   */
  private operate(action: OperatorAction, done: string, transition: (now: number) => { outcome: Outcome; effects: EngineEffect[] }): Outcome {
    const { outcome, effects } = transition(Date.now());
    if (!this.runsRounds) {
      if (outcome.ok) {
        const federationId = this.config.id;
        const { bus } = this.clusterDeps();
        this.deps.work.track(
          this.deps.store.federations.setStatus(federationId, this.engine.status).then(() => bus.publish({ kind: 'operate', federationId, action })),
        );
      }
      return outcome;
    }
    if (outcome.ok) this.record('info', done, `operator ${done} the federation`);
    this.apply(effects);
    return outcome;
  }

  tick(now: number): void {
    if (!this.runsRounds) return;
    this.apply(this.engine.tick(now));
    if (this.secure.active) this.deps.work.track(this.secure.tick(now));
    this.queries.tick(now);
    this.recountWhileWaiting(now);
  }

  /**
   * Several coordinators: while the owner waits for devices it tells the others again that it runs the
   * federation, and they announce every device online on them again. A message about a device can be
   * lost (the Redis stream drops entries a busy coordinator has not read yet), and the owner would
   * otherwise wait for that device for ever.
   */
  private recountWhileWaiting(now: number): void {
    const { fence } = this;
    if (!fence || this.engine.status !== 'waiting' || now - this.askedForDevicesAt < RECOUNT_EVERY_MS) return;
    this.askOthersForDevices(fence, now);
  }

  private askOthersForDevices(fence: LeaseFence, now: number): void {
    this.askedForDevicesAt = now;
    this.clusterDeps().bus.publish({ kind: 'owner', federationId: this.config.id, epoch: fence.epoch });
  }

  async admitDevice(hello: HelloMessage): Promise<HelloReply> {
    const refusal = ownDataRefusal(this.config, hello);
    if (refusal) {
      this.record('warn', 'device-refused', refusal, hello.deviceId);
      return { ok: false, reason: refusal };
    }
    const shardSize = hello.dataSource?.kind === 'own' ? () => 0 : await this.shards.sizes();
    // The store picks the shard: coordinators sharing it never give one shard to two devices.
    const registered = await this.deps.store.devices.register(
      this.config.id,
      {
        deviceId: hello.deviceId,
        backend: hello.backend,
        adapter: hello.adapter,
        ...(hello.platform ? { platform: hello.platform } : {}),
        lastSeen: new Date(),
        ownExamples: hello.dataSource?.kind === 'own' ? hello.dataSource.numExamples : null,
      },
      this.devices.shardCount,
      shardSize,
    );
    if (!registered) {
      return { ok: false, reason: `all ${this.devices.shardCount} data shards of federation ${this.config.id} are taken` };
    }
    const { device, isNew } = registered;
    this.devices.adopt(device);
    this.downlink.deviceHello(device.deviceId, hello.heldModel);
    if (isNew) this.record('info', 'device-registered', deviceJoinedText(device, this.devices.shardCount), device.deviceId);
    return {
      ok: true,
      federationId: this.config.id,
      model: this.config.model,
      dataset:
        device.shardIndex < 0
          ? { kind: 'own', shardId: this.devices.shardId(device), numExamples: device.examples }
          : {
              kind: 'mnist-shard',
              shardPath: `/api/federations/${this.config.id}/shard/${device.deviceId}`,
              shardId: this.devices.shardId(device),
              numExamples: device.examples,
            },
      status: this.engine.status,
      round: this.engine.round,
      privacyGuarantee: this.privacyGuarantee(),
      ...this.queriesPrivacySpend(),
    };
  }

  private broadcastStatus(status: FederationStatusMessage['status'], round: number): void {
    this.announcedQueryEpsilon = this.queries.epsilonSpent;
    this.deps.outputs.broadcastStatus({
      federationId: this.config.id,
      status,
      round,
      accuracy: this.rounds.at(-1)?.accuracy ?? null,
      privacyGuarantee: this.privacyGuarantee(),
      ...this.queriesPrivacySpend(),
    });
  }

  /** Training's and the queries' ε together in words, for the device page, once queries spent some (training's alone is in the guarantee). */
  private queriesPrivacySpend(): { privacySpend?: string } {
    const queries = this.queries.epsilonSpent;
    if (queries === 0) return {};
    return { privacySpend: privacySpend(this.config.privacy, this.rounds.at(-1)?.epsilon ?? null, queries).words };
  }

  private privacyGuarantee(): string {
    const dp = privacyGuarantee(this.config.privacy, this.rounds.at(-1)?.epsilon ?? null);
    const secure = secureAggregationSentence(this.config);
    return secure ? `${secure} ${dp}` : dp;
  }

  /** Called after the hello reply went out, so a round:start never overtakes it. */
  deviceConnected(deviceId: string): void {
    if (this.devices.connected(deviceId)) this.record('info', 'device-online', 'device connected', deviceId);
    this.announceDevice(deviceId, true);
    this.resendRound(deviceId);
    this.queries.deviceOnline(deviceId, Date.now());
    this.deps.outputs.changed(this.config.id);
  }

  /** A device that says hello again on the same connection lost its state: give it the running round again. */
  resendRound(deviceId: string): void {
    if (this.runsRounds) this.apply(this.engine.deviceOnline(deviceId, Date.now()));
    else if (this.shared?.selected.has(deviceId)) this.deps.work.track(this.sendFollowedRound(this.shared.round, [deviceId]));
  }

  deviceDisconnected(deviceId: string): void {
    if (!this.devices.disconnected(deviceId, new Date())) return;
    this.record('info', 'device-offline', 'device disconnected', deviceId);
    const device = this.devices.get(deviceId);
    if (device) this.deps.work.track(this.deps.store.devices.upsert(this.config.id, device));
    this.announceDevice(deviceId, false);
    if (this.runsRounds && !this.devices.isOnline(deviceId)) {
      this.apply(this.engine.deviceOffline(deviceId, Date.now()));
      if (this.secure.active) this.deps.work.track(this.secure.deviceLeft(deviceId));
      this.queries.deviceOffline(deviceId, Date.now());
    }
    this.deps.outputs.changed(this.config.id);
  }

  /** Several coordinators: the owner counts the devices online on every coordinator. */
  private announceDevice(deviceId: string, online: boolean): void {
    const device = this.devices.get(deviceId);
    if (this.deps.cluster && !this.fence && device)
      this.deps.cluster.bus.publish({ kind: 'device', federationId: this.config.id, device: onlineDevice(device), online });
  }

  setDeviceState(deviceId: string, state: DeviceState): void {
    this.devices.setState(deviceId, state, new Date());
    this.deps.outputs.changed(this.config.id);
  }

  submitUpdate(deviceId: string, msg: ParsedUpdateMessage): Ack | Promise<Ack> {
    if (this.deps.cluster) return this.foldShared(deviceId, msg);
    const maxExamples = this.devices.get(deviceId)?.examples ?? 0;
    const { result, effects } = this.engine.submitUpdate({ ...msg, deviceId, maxExamples }, Date.now());
    if (!result.ok) this.record('warn', 'update-rejected', `update for round ${msg.round} rejected: ${result.reason}`, deviceId);
    else if (result.duplicate) this.record('info', 'update-duplicate', `duplicate update for round ${msg.round} ignored`, deviceId);
    else {
      this.updateTaken(deviceId, msg);
    }
    this.apply(effects);
    this.deps.outputs.changed(this.config.id);
    return result.ok ? { ok: true } : result;
  }

  private updateTaken(deviceId: string, msg: ParsedUpdateMessage): void {
    this.record('info', 'update-accepted', `update for round ${msg.round} accepted (${msg.numExamples} examples)`, deviceId);
    this.traffic.received(msg.round, deviceId, msg.payload.byteLength);
    this.downlink.deviceTrained(deviceId, msg.round);
    // The evaluation scores the model the round started from: the one the previous round produced.
    if (msg.evaluation) this.deps.work.track(this.deps.store.evaluations.save(this.config.id, deviceId, msg.round - 1, msg.evaluation));
  }

  /**
   * Several coordinators: the update is checked here, folded into this coordinator's partial of the
   * open round with its receipt in one transaction (so it counts once, whichever coordinator a retry
   * reaches), and acknowledged only once that committed; the owner counts it toward closing the round.
   */
  private async foldShared(deviceId: string, msg: ParsedUpdateMessage): Promise<Ack> {
    const { bus } = this.clusterDeps();
    const refuse = (reason: string): Ack => {
      this.record('warn', 'update-rejected', `update for round ${msg.round} rejected: ${reason}`, deviceId);
      return { ok: false, reason };
    };
    const shared = this.shared;
    if (msg.federationId !== this.config.id) return refuse(`update for federation "${msg.federationId}" sent to federation "${this.config.id}"`);
    const problem = this.sharedRoundProblem(deviceId, msg.round);
    if (problem || !shared) return refuse(problem ?? 'no round is running');
    const folded = this.engine.partialOf({ ...msg, deviceId, maxExamples: this.devices.get(deviceId)?.examples ?? 0 });
    if (!folded.ok) return refuse(folded.reason);
    const { loss, accuracy } = msg.metrics;
    const counted = { deviceId, round: msg.round, examples: msg.numExamples, loss, accuracy, bytesUp: msg.payload.byteLength };
    const update: CountedUpdate = { ...counted, ...this.traffic.device(msg.round, deviceId), coordinatorId: bus.coordinatorId };
    this.folds ??= new FoldQueue((attempt, items) => this.deps.store.sharedRounds.fold(this.config.id, attempt, bus.coordinatorId, items));
    const outcome = await this.folds.add(shared.round.attempt, { update, partial: folded.partial });
    if (outcome === 'stale') {
      return {
        ok: false,
        reason: `round ${msg.round} closed or was restarted while this update arrived; this device keeps it and tries again`,
        retryAfterMs: 1_000,
      };
    }
    if (outcome === 'duplicate') {
      this.record('info', 'update-duplicate', `duplicate update for round ${msg.round} ignored`, deviceId);
      return { ok: true };
    }
    this.updateTaken(deviceId, msg);
    if (this.runsRounds) this.apply(this.sharedEngine().countShared(counted, Date.now()));
    else bus.publish({ kind: 'counted', federationId: this.config.id, attempt: shared.round.attempt, update: counted });
    this.deps.outputs.changed(this.config.id);
    return { ok: true };
  }

  /** Secure aggregation: a device's answer to one stage of the open round (`bytes`: the message's binary size). */
  async secureAnswer(deviceId: string, msg: SecAggAnswerMessage, bytes: number): Promise<Ack> {
    if (answersQuery(msg.answer)) return this.queries.secureAnswer(deviceId, msg);
    const result: Ack = this.runsRounds
      ? await this.secure.receive(deviceId, msg, bytes)
      : { ok: false, reason: 'this coordinator does not run the federation’s rounds; reconnect and the device reaches the one that does' };
    if (!result.ok) this.record('warn', 'secure-answer-refused', `secure-aggregation answer (${msg.stage}) refused: ${result.reason}`, deviceId);
    else if (msg.stage === 'masked-input') this.traffic.received(this.engine.round, deviceId, bytes);
    this.deps.outputs.changed(this.config.id);
    return result;
  }

  /** Federated analytics: queues a checked query for this federation's devices, or says why this federation runs none. */
  submitQuery(query: AnalyticsQuery, context: QueryContext): Submitted {
    return this.queries.submit(query, context, Date.now());
  }

  /** Federated analytics: a device's answer to the query running. */
  queryAnswer(deviceId: string, msg: QueryAnswerMessage): Ack {
    return this.queries.answer(deviceId, msg, Date.now());
  }

  /** Why this federation runs no query (one coordinator only), or why this one would pass its privacy target. */
  private queryRefusal(query: AnalyticsQuery, spentByQueries: number): string | null {
    if (this.deps.cluster) {
      return 'this federation is served by several coordinators, and queries run on a coordinator serving its federations alone for now: run the query against a single coordinator';
    }
    return privacyTargetRefusal(this.config.privacy, this.rounds.at(-1)?.epsilon ?? 0, spentByQueries, query.privacy.epsilon);
  }

  /** A device's score of the final model (model:final): taken once the federation finished, for its last round only. */
  finalEvaluation(deviceId: string, msg: FinalEvaluationMessage): Ack {
    const last = this.engine.completedRounds;
    if (msg.federationId !== this.config.id) return { ok: false, reason: `this device belongs to federation "${this.config.id}", not "${msg.federationId}"` };
    if (this.engine.status !== 'finished')
      return { ok: false, reason: `the federation is ${this.engine.status}: only a finished federation's final model is scored this way` };
    if (msg.round !== last) return { ok: false, reason: `the final model is round ${last}'s, not round ${msg.round}'s` };
    this.deps.work.track(this.deps.store.evaluations.save(this.config.id, deviceId, last, msg.evaluation));
    const { accuracy, examples } = msg.evaluation;
    this.record(
      'info',
      'final-evaluation',
      `device scored the final model: ${(accuracy * 100).toFixed(1)}% of its ${examples} held-out examples right`,
      deviceId,
    );
    return { ok: true };
  }

  /** Why an update of `totalBytes` for `round` would be refused before a byte of it is buffered (update:begin); null when it may come. */
  uploadProblem(deviceId: string, round: number, totalBytes: number): string | null {
    const limit = maxPayloadBytes(this.manifest);
    if (totalBytes > limit) return `an update of ${totalBytes} bytes is larger than any update of this federation's model (at most ${limit} bytes)`;
    return this.deps.cluster ? this.sharedRoundProblem(deviceId, round) : this.engine.uploadProblem(deviceId, round);
  }

  /** Several coordinators: why an update for `round` from this device would be refused here (the engine's checks, on the round the owner opened). */
  private sharedRoundProblem(deviceId: string, round: number): string | null {
    const shared = this.shared;
    if (!shared) return `update for round ${round} but no round is running (the federation is ${this.summary().status})`;
    if (round !== shared.round.round) return `update for round ${round} but round ${shared.round.round} is running`;
    if (!shared.selected.has(deviceId)) return `this device was not selected for round ${shared.round.round}`;
    return null;
  }

  /** What the devices reported about each round's global model on their held-out examples. */
  deviceEvaluations(): Promise<DeviceEvaluation[]> {
    return this.deps.store.evaluations.list(this.config.id);
  }

  /** The device's training examples; null for a device that never said hello or brings its own data. */
  async shardFor(deviceId: string): Promise<Uint8Array | null> {
    const device = this.devices.get(deviceId);
    if (!device || device.shardIndex < 0) return null;
    return this.shards.encoded(device.shardIndex);
  }

  record(level: EventLogEntry['level'], kind: string, message: string, deviceId: string | null = null): void {
    const entry: EventLogEntry = { at: new Date().toISOString(), federationId: this.config.id, level, kind, message, deviceId };
    this.log[level]({ kind, deviceId }, message);
    this.deps.outputs.event(this.deps.store.events.append(entry));
  }

  private apply(effects: EngineEffect[]): void {
    for (const e of effects) {
      switch (e.type) {
        case 'broadcastRound': {
          // Several coordinators: a device connected to another one gets the round there; sent (and counted) here, it was counted twice.
          const here = this.deps.cluster ? this.devices.onlineHere(e.deviceIds) : e.deviceIds;
          if (here.length > 0) this.sendRound(e.round, here, e.deadline, e.global);
          break;
        }
        case 'roundClosed':
          this.deps.work.track(this.finishRound(e));
          break;
        case 'roundOpened':
          this.deps.work.track(this.openSharedRound(e));
          break;
        case 'roundSealing':
          this.deps.work.track(this.sealSharedRound(e.round));
          break;
        case 'secureRoundOpened':
          this.beginSecureRound(e);
          break;
        case 'roundAbandoned': {
          this.secure.drop(e.round);
          this.traffic.abandoned(e.round);
          this.discardSharedRound();
          const next = this.abandonedRoundNext();
          this.record('warn', 'round-abandoned', roundAbandonedText(e, next, this.config.minDevices));
          this.deps.outputs.broadcastRoundAbandoned({ federationId: this.config.id, round: e.round, reason: e.reason, next });
          break;
        }
        case 'roundExtended':
          this.record('warn', 'round-extended', roundExtendedText(e, Date.now()));
          break;
        case 'deviceDropped':
          this.record('warn', 'device-dropped', `device left round ${e.round} before answering`, e.deviceId);
          break;
        case 'statusChanged':
          if (e.status === 'finished') this.finish(e.round);
          this.deps.work.track(this.deps.store.federations.setStatus(this.config.id, e.status).then(() => this.announceChange()));
          this.broadcastStatus(e.status, e.round);
          break;
        default: {
          const unhandled: never = e;
          throw new Error(`unhandled engine effect ${JSON.stringify(unhandled)}`);
        }
      }
    }
    if (effects.length > 0) this.deps.outputs.changed(this.config.id);
  }

  /** The federation finished: the devices online score the final model on their held-out examples (federated evaluation). */
  private finish(round: number): void {
    this.record('info', 'finished', `federation finished after round ${round}; the devices online with held-out examples now score its final model`);
    if (round === 0) return;
    const weights = encodeWeights(this.manifest, this.engine.globalWeights, 'weights') as Uint8Array<ArrayBuffer>;
    this.deps.outputs.broadcastFinalModel({ federationId: this.config.id, round, model: this.config.model, weights });
  }

  /** Read after the engine's transition: a pause redoes the round on resume, a stop or finish never, anything else at once. */
  private abandonedRoundNext(): RoundAbandonedMessage['next'] {
    const status = this.engine.status;
    if (status === 'paused') return 'redone-on-resume';
    return status === 'stopped' || status === 'finished' ? 'never' : 'redone-now';
  }

  private sendRound(
    round: number,
    deviceIds: string[],
    deadline: number,
    global: Float32Array,
    // Devices holding the previous round's model may get a delta: one message per distinct payload.
    payloads = this.downlink.payloadsFor(round, global, deviceIds),
  ): void {
    const secure = secureAggregationOf(this.config) !== null;
    for (const { payload, deviceIds: ids } of payloads) {
      const msg: RoundStartMessage = {
        federationId: this.config.id,
        round,
        model: this.config.model,
        config: this.config.training,
        deadline,
        weights: payload.weights,
        ...(payload.modelBase ? { modelBase: payload.modelBase } : {}),
        // A masked update is built from the exact delta: a lossy uplink codec would only add error.
        codec: secure ? { uplink: 'float32' } : roundCodecOf(this.config),
        instructions: this.engine.instructions,
        ...(secure ? { secureAggregation: true as const } : {}),
      };
      this.deps.outputs.sendRoundStart(this.config.id, ids, msg);
      this.traffic.sent(round, ids, payload.weights.byteLength);
    }
    // Without the ids: each device gets its own event row when it answers, and the device list names them.
    this.record('info', 'round-started', roundStartedText(round, deviceIds.length));
  }

  /** Secure aggregation: the round's stages begin with the devices it selected; weights are capped at the largest of their example counts. */
  private beginSecureRound(e: Extract<EngineEffect, { type: 'secureRoundOpened' }>): void {
    const config = secureAggregationOf(this.config);
    if (!config) return;
    // A reduce, not Math.max(...ids): a spread of a very large round would overflow the call stack.
    const maxWeight = e.deviceIds.reduce((most, id) => Math.max(most, this.devices.get(id)?.examples ?? 0), 1);
    this.secure.begin({
      federationId: this.config.id,
      round: e.round,
      selected: e.deviceIds,
      vectorLength: manifestSize(this.manifest),
      clip: secureAggregationClip(this.config),
      maxWeight,
      roundSeed: randomUUID(),
      config,
      noise: distributedNoiseOf(this.config),
      startedAt: e.startedAt,
      deadline: e.deadline,
    });
  }

  /** Evaluate, then persist model and record in one transaction; only then may the next round start. */
  private async finishRound(e: RoundClosed): Promise<void> {
    let evaluation: { accuracy: number; loss: number } | null = null;
    try {
      // Device-data federations have no test set here: their devices evaluate (federated evaluation).
      if (demoDataset(this.config.dataset))
        evaluation = await this.deps.evaluator.evaluate(this.config.model, e.newGlobal, this.config.evalExamples, demoDataset(this.config.dataset)?.kind);
    } catch (err) {
      this.record(
        'warn',
        'evaluation-failed',
        `round ${e.round} could not be scored on the coordinator's test examples (${describeError(err)}): its accuracy stays empty and training goes on`,
      );
    }
    const record = roundRecordOf(e, evaluation, this.traffic.roundTotals(e.round), this.config.mode);
    try {
      const model = { bytes: encodeWeights(this.manifest, e.newGlobal, 'weights'), serverState: e.serverState };
      await this.deps.store.rounds.save(this.config.id, record, model, this.traffic.settle(e.contributions, e.round), this.fence ?? undefined);
    } catch (err) {
      if (err instanceof LeaseLostError) return this.clusterDeps().leaseLost(this.config.id);
      this.record(
        'warn',
        'persist-failed',
        `round ${e.round} could not be saved (${describeError(err)}); the federation is paused: resume it once the data directory can be written again`,
      );
      this.apply(this.engine.pause().effects);
      return;
    }
    this.rounds.push(record);
    this.devices.addContributions(e.participants);
    this.record('info', 'round-closed', roundClosedText(e, record));
    const privacy = privacyNote(this.config, e.round, e.epsilon);
    if (privacy) this.record(privacy.level, privacy.kind, privacy.message);
    this.announceChange();
    this.apply(this.engine.roundPersisted(e.round, Date.now(), record.accuracy));
  }

  /** Several coordinators: the others read the federation again (its status, rounds or model changed). */
  private announceChange(): void {
    this.deps.cluster?.bus.publish({ kind: 'federation-changed', federationId: this.config.id });
  }

  /** Several coordinators: the round is made known in the database (so updates can be folded for it) and to the others, then the model goes out. */
  private async openSharedRound(e: Extract<EngineEffect, { type: 'roundOpened' }>): Promise<void> {
    const fence = this.fence;
    if (!fence) return;
    // What this coordinator moved for an earlier attempt at the round (before a failover, as a follower) was called off.
    this.traffic.abandoned(e.round);
    const round: SharedRound = {
      federationId: this.config.id,
      round: e.round,
      attempt: `${e.round}.${fence.epoch}.${randomUUID()}`,
      selected: e.deviceIds,
      deadline: e.deadline,
      startedAt: e.startedAt,
    };
    try {
      if (!(await this.deps.store.sharedRounds.open(round, fence))) throw new LeaseLostError(this.config.id);
    } catch (err) {
      return this.sharedRoundFailed(err, `round ${e.round} could not be opened`);
    }
    this.shared = { round, selected: new Set(round.selected) };
    this.clusterDeps().bus.publish({ kind: 'round-opened', round });
    this.sendRound(e.round, this.devices.onlineHere(e.deviceIds), e.deadline, e.global);
  }

  /** Several coordinators: every coordinator's partial of the round is read as no more can be folded into it, and merged into the next model. */
  private async sealSharedRound(round: number): Promise<void> {
    const fence = this.fence;
    const shared = this.shared;
    if (!fence) return;
    let sealed: SealedRound | null = { partials: [], receipts: [], traffic: [] };
    try {
      if (shared?.round.round === round) sealed = await this.deps.store.sharedRounds.seal(this.config.id, shared.round.attempt, fence);
      if (!sealed) throw new LeaseLostError(this.config.id);
    } catch (err) {
      return this.sharedRoundFailed(err, `round ${round} could not be closed`);
    }
    this.shared = null;
    // This coordinator's own traffic it counted itself; the others' it counts from what they stored.
    const me = this.clusterDeps().bus.coordinatorId;
    const elsewhere = <T extends { coordinatorId: string }>(all: T[]) => all.filter((t) => t.coordinatorId !== me);
    this.traffic.addElsewhere(round, elsewhere(sealed.traffic), elsewhere(sealed.receipts));
    const counted = sealed.receipts.map((r) => ({ ...r, round }));
    this.apply(this.sharedEngine().sealed(round, { partials: sealed.partials, counted }, Date.now()));
  }

  private discardSharedRound(): void {
    if (!this.deps.cluster || !this.fence) return;
    const fence = this.fence;
    this.shared = null;
    this.deps.work.track(
      this.deps.store.sharedRounds.discard(this.config.id, fence).then((held) => {
        if (!held) this.clusterDeps().leaseLost(this.config.id);
      }),
    );
  }

  /** A lost lease hands the federation over; anything else pauses it, as a round that cannot be saved does. */
  private sharedRoundFailed(err: unknown, what: string): void {
    if (err instanceof LeaseLostError) return this.clusterDeps().leaseLost(this.config.id);
    this.record('warn', 'persist-failed', `${what} (${describeError(err)}); the federation is paused: resume it once the database can be written again`);
    this.apply(this.engine.pause().effects);
  }

  private clusterDeps(): ClusterDeps {
    if (!this.deps.cluster) throw new Error('this coordinator runs alone: it has no other coordinators to share rounds with');
    return this.deps.cluster;
  }

  /** Shared aggregation runs synchronous rounds only (federationConfigProblem refuses the rest with several coordinators). */
  private sharedEngine(): SyncRoundEngine {
    if (!(this.engine instanceof SyncRoundEngine)) throw new Error(`federation ${this.config.id}: only synchronous rounds are shared by several coordinators`);
    return this.engine;
  }

  private async storedState(): Promise<StoredFederation> {
    const stored = (await this.deps.store.federations.list()).find((f) => f.config.id === this.config.id);
    if (!stored) throw new Error(`federation ${this.config.id} is no longer stored`);
    return stored;
  }

  /** Devices that registered on other coordinators since this one read the federation's devices. */
  private async knowDevices(deviceIds: string[]): Promise<void> {
    if (deviceIds.every((id) => this.devices.get(id))) return;
    for (const d of await this.deps.store.devices.list(this.config.id)) this.devices.adopt(d);
  }
}
