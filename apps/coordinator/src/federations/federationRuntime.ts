import {
  decodeWeights,
  demoDataset,
  encodeWeights,
  privacyGuarantee,
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
import type { Logger } from 'pino';
import type { MnistSource } from '../evaluation/mnistSource.ts';
import type { Evaluator } from '../evaluation/evaluationThread.ts';
import type { PendingWork } from '../pendingWork.ts';
import { contributionWindow, type Outcome } from '../rounds/engineCore.ts';
import type { EngineEffect } from '../rounds/engineEffects.ts';
import { createEngine, type FederationEngine } from '../rounds/federationEngine.ts';
import { privacyNote } from '../rounds/privacyBudget.ts';
import { maxPayloadBytes } from '../rounds/updatePayload.ts';
import type { CoordinatorStore, StoredDevice, StoredFederation } from '../storage/store.ts';
import { DeviceRegistry } from './deviceRegistry.ts';
import { federationModelLayout, type PreparedModel } from './federationModel.ts';
import { DeviceTraffic } from './deviceTraffic.ts';
import { DownlinkModels } from './downlinkModels.ts';
import { FederationShards } from './federationShards.ts';
import { ownDataRefusal } from './ownData.ts';
import { deviceJoinedText, roundAbandonedText, roundClosedText, roundExtendedText, roundStartedText } from './eventWords.ts';
import { roundRecordOf, type RoundClosed } from './roundRecord.ts';

/** What the transports do on the runtime's behalf. */
export interface FederationOutputs {
  sendRoundStart(federationId: string, deviceIds: string[], msg: RoundStartMessage): void;
  broadcastStatus(msg: FederationStatusMessage): void;
  /** Tells the federation's devices a round was called off, so those working on it stop or keep that work. */
  broadcastRoundAbandoned(msg: RoundAbandonedMessage): void;
  /** Hands the finished federation's final model to its devices online, to score on their held-out examples. */
  broadcastFinalModel(msg: FinalModelMessage): void;
  changed(federationId: string): void;
  event(entry: EventLogEntry): void;
}

export interface RuntimeDeps {
  store: CoordinatorStore;
  evaluator: Evaluator;
  mnist: MnistSource;
  logger: Logger;
  outputs: FederationOutputs;
  work: PendingWork;
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

  private constructor(
    private readonly deps: RuntimeDeps,
    private readonly engine: FederationEngine,
    private readonly devices: DeviceRegistry,
    private readonly rounds: RoundRecord[],
    /** tfjs LayersModel topology, served with the weights so tf.loadLayersModel can fetch the global model. */
    readonly modelTopology: unknown,
  ) {
    this.log = deps.logger.child({ federationId: engine.config.id });
    this.downlink = new DownlinkModels(engine.manifest, downlinkCodecOf(engine.config), downlinkDeltaOf(engine.config));
    this.shards = new FederationShards(engine.config.dataset, deps.mnist);
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
    const latest = await deps.store.models.latest(config.id);
    if (!latest) throw new Error(`federation ${config.id} has no stored model`);
    const global = decodeWeights(latest.bytes, manifest).values;
    const interrupted = stored.status === 'training' || stored.status === 'aggregating';
    const status = interrupted ? 'waiting' : stored.status;
    if (interrupted) await deps.store.federations.setStatus(config.id, status);
    const recentContributions = await deps.store.rounds.contributionsSince(config.id, latest.round - contributionWindow(config));
    const engine = createEngine(config, manifest, { status, completedRounds: latest.round, global, recentContributions, serverState: latest.serverState });
    const devices = new DeviceRegistry(config, await deps.store.devices.list(config.id));
    const runtime = new FederationRuntime(deps, engine, devices, await deps.store.rounds.list(config.id), topology);
    if (interrupted) {
      runtime.record(
        'warn',
        'coordinator-restarted',
        `coordinator restarted mid-round: continuing after round ${latest.round}, round ${latest.round + 1} is redone`,
      );
    } else if (status !== 'idle') {
      runtime.record('info', 'coordinator-restarted', `coordinator restarted: federation ${status} after round ${latest.round}`);
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
      round: this.engine.round,
      updatesThisRound: this.engine.updatesThisRound,
      selectedThisRound: this.engine.selectedThisRound,
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

  start(): Outcome {
    return this.operate('started', this.engine.start(Date.now()));
  }

  /** No new work goes out; a synchronous round in flight is redone on resume. */
  pause(): Outcome {
    return this.operate('paused', this.engine.pause());
  }

  resume(): Outcome {
    return this.operate('resumed', this.engine.resume(Date.now()));
  }

  /** Final: the model and history stay (and downloadable), training never restarts. */
  stop(): Outcome {
    return this.operate('stopped', this.engine.stop());
  }

  private operate(kind: string, { outcome, effects }: { outcome: Outcome; effects: EngineEffect[] }): Outcome {
    if (outcome.ok) this.record('info', kind, `operator ${kind} the federation`);
    this.apply(effects);
    return outcome;
  }

  tick(now: number): void {
    this.apply(this.engine.tick(now));
  }

  async admitDevice(hello: HelloMessage): Promise<HelloReply> {
    const refusal = ownDataRefusal(this.config, hello);
    if (refusal) {
      this.record('warn', 'device-refused', refusal, hello.deviceId);
      return { ok: false, reason: refusal };
    }
    const shardSize = hello.dataSource?.kind === 'own' ? () => 0 : await this.shards.sizes();
    const registered = this.devices.register(hello, new Date(), shardSize);
    if (!registered) {
      return { ok: false, reason: `all ${this.devices.shardCount} data shards of federation ${this.config.id} are taken` };
    }
    const { device, isNew } = registered;
    this.downlink.deviceHello(device.deviceId, hello.heldModel);
    await this.deps.store.devices.upsert(this.config.id, device);
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
    };
  }

  private privacyGuarantee(): string {
    return privacyGuarantee(this.config.privacy, this.rounds.at(-1)?.epsilon ?? null);
  }

  /** Called after the hello reply went out, so a round:start never overtakes it. */
  deviceConnected(deviceId: string): void {
    if (this.devices.connected(deviceId)) this.record('info', 'device-online', 'device connected', deviceId);
    this.apply(this.engine.deviceOnline(deviceId, Date.now()));
    this.deps.outputs.changed(this.config.id);
  }

  /** A device that says hello again on the same connection lost its state: give it the running round again. */
  resendRound(deviceId: string): void {
    this.apply(this.engine.deviceOnline(deviceId, Date.now()));
  }

  deviceDisconnected(deviceId: string): void {
    if (!this.devices.disconnected(deviceId, new Date())) return;
    this.record('info', 'device-offline', 'device disconnected', deviceId);
    const device = this.devices.get(deviceId);
    if (device) this.deps.work.track(this.deps.store.devices.upsert(this.config.id, device));
    this.apply(this.engine.deviceOffline(deviceId, Date.now()));
    this.deps.outputs.changed(this.config.id);
  }

  setDeviceState(deviceId: string, state: DeviceState): void {
    this.devices.setState(deviceId, state, new Date());
    this.deps.outputs.changed(this.config.id);
  }

  submitUpdate(deviceId: string, msg: ParsedUpdateMessage): Ack {
    const maxExamples = this.devices.get(deviceId)?.examples ?? 0;
    const { result, effects } = this.engine.submitUpdate({ ...msg, deviceId, maxExamples }, Date.now());
    if (!result.ok) this.record('warn', 'update-rejected', `update for round ${msg.round} rejected: ${result.reason}`, deviceId);
    else if (result.duplicate) this.record('info', 'update-duplicate', `duplicate update for round ${msg.round} ignored`, deviceId);
    else {
      this.record('info', 'update-accepted', `update for round ${msg.round} accepted (${msg.numExamples} examples)`, deviceId);
      this.traffic.received(msg.round, deviceId, msg.payload.byteLength);
      this.downlink.deviceTrained(deviceId, msg.round);
      // The evaluation scores the model the round started from: the one the previous round produced.
      if (msg.evaluation) this.deps.work.track(this.deps.store.evaluations.save(this.config.id, deviceId, msg.round - 1, msg.evaluation));
    }
    this.apply(effects);
    this.deps.outputs.changed(this.config.id);
    return result.ok ? { ok: true } : result;
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
    return this.engine.uploadProblem(deviceId, round);
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
        case 'broadcastRound':
          this.sendRound(e.round, e.deviceIds, e.deadline, e.global);
          break;
        case 'roundClosed':
          this.deps.work.track(this.finishRound(e));
          break;
        case 'roundAbandoned': {
          this.traffic.abandoned(e.round);
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
          this.deps.work.track(this.deps.store.federations.setStatus(this.config.id, e.status));
          this.deps.outputs.broadcastStatus({
            federationId: this.config.id,
            status: e.status,
            round: e.round,
            accuracy: this.rounds.at(-1)?.accuracy ?? null,
            privacyGuarantee: this.privacyGuarantee(),
          });
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

  private sendRound(round: number, deviceIds: string[], deadline: number, global: Float32Array): void {
    // Devices holding the previous round's model may get a delta: one message per distinct payload.
    for (const { payload, deviceIds: ids } of this.downlink.payloadsFor(round, global, deviceIds)) {
      const msg: RoundStartMessage = {
        federationId: this.config.id,
        round,
        model: this.config.model,
        config: this.config.training,
        deadline,
        weights: payload.weights,
        ...(payload.modelBase ? { modelBase: payload.modelBase } : {}),
        codec: roundCodecOf(this.config),
        instructions: this.engine.instructions,
      };
      this.deps.outputs.sendRoundStart(this.config.id, ids, msg);
      this.traffic.sent(round, ids, payload.weights.byteLength);
    }
    // Without the ids: each device gets its own event row when it answers, and the device list names them.
    this.record('info', 'round-started', roundStartedText(round, deviceIds.length));
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
      await this.deps.store.rounds.save(this.config.id, record, model, this.traffic.settle(e.contributions, e.round));
    } catch (err) {
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
    this.apply(this.engine.roundPersisted(e.round, Date.now(), record.accuracy));
  }
}
