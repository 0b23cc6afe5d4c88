import {
  Ack,
  CoordinatorClosingMessage,
  FederationStatusMessage,
  FinalModelMessage,
  PROTOCOL_VERSION,
  ProtocolErrorMessage,
  RoundAbandonedMessage,
  RoundStartMessage,
  type DatasetAssignment,
  type DeviceState,
  type OwnDataAssignment,
  type ParsedRoundStartMessage,
} from '../protocol/device.ts';
import { decodeWeights } from '../codec/weightsCodec.ts';
import { asClause } from '../protocol/issueWords.ts';
import { deviceAnswer } from '../analytics/deviceAnswer.ts';
import { QueryAskMessage } from '../analytics/messages.ts';
import { queryOfSecureRound } from '../analytics/secureQueryRounds.ts';
import type { ImageDataset } from '../data/dataset.ts';
import { SecAggRequestMessage, toWire } from '../secagg/messages.ts';
import { initialSessionView, type DeviceAdapters, type DeviceIdentity, type DeviceSessionView } from './deviceAdapters.ts';
import { roundStartReceiver } from './chunkedDownload.ts';
import { uploadUpdate } from './chunkedUpload.ts';
import { describeError, sendHello, type DeviceSocket } from './deviceSocket.ts';
import { deliveryDisposition, roundFate, sameModel, type CoordinatorPosition, type RoundJob } from './roundJob.ts';
import { QueryModels, predictedConfusionAnswer } from './queryPredictions.ts';
import { SecureQueryAnswers } from './secureQueryAnswers.ts';
import { SecureRoundParticipant, type TrainedUpdate } from './secureRoundParticipant.ts';

const MAX_MESSAGES = 6;
/** Answered queries the device page lists. */
const MAX_ANSWERED_QUERIES = 50;
const SERVER_KICK_RETRY_MS = 2_000;
const FINAL_EVALUATION_ACK_MS = 30_000;
/** A refused hello is tried again on the same connection after 5 s, 10 s, 20 s, ... at most a minute. */
const HELLO_RETRY_MS = 5_000;
const HELLO_RETRY_MAX_MS = 60_000;

/**
 * One device's side of the protocol, the same in a tab and in Node: hello on every (re)connect,
 * the data fetched once, then round:start -> train -> update, with the state reported as it changes
 * (joining -> downloading-data -> waiting-for-round -> training -> uploading -> ...).
 *
 * Rounds survive the link and the coordinator: training goes on while disconnected and its update is
 * sent after the next hello; an update whose ack was lost is sent again (the coordinator acknowledges
 * a duplicate); a coordinator that restarted and asks for the same round and model again gets the
 * update already computed, not a second training. A round that closed without this device's update
 * is reported as missed. Platform work (socket, storage, training) goes through the injected adapters.
 */
export class DeviceSession {
  private view: DeviceSessionView;
  private socket: DeviceSocket | null = null;
  /** Bumped on every connect and disconnect: work begun for an older connection stops at its next await. */
  private connection = 0;
  private helloAccepted = false;
  private helloFailures = 0;
  private helloRetry: ReturnType<typeof setTimeout> | null = null;
  private data: { id: string; ready: Promise<void> } | null = null;
  private dataReady = false;
  private job: RoundJob | null = null;
  private nextRound: ParsedRoundStartMessage | null = null;
  private coordinator: CoordinatorPosition | null = null;
  private readonly missed = new Set<number>();
  /** The round whose model the trainer holds (trained on it): the base of a downlink delta. */
  private heldModel: number | null = null;
  /** The trainer is running a job (a discarded one included, until it stops): it takes one at a time. */
  private trainerBusy = false;
  private closed = false;
  /** Secure aggregation: this device's part in the stages, and whoever waits for a job to change (the masked-input stage waits for its update). */
  private readonly secure: SecureRoundParticipant;
  private readonly jobWatchers = new Set<() => void>();
  /** Federated analytics: the numbers sent for each query (by id and deadline), sent again as they were when asked again. */
  private readonly askedQueries = new Map<string, { deadline: number; numbers: number[] }>();
  /** Federated analytics on a federation that aggregates securely: answers wait here for their secure sum's masked-input stage. */
  private readonly secureQueries = new SecureQueryAnswers();
  /** The global model a confusion-matrix query scores: held since round:start or model:final, else pulled. */
  private readonly queryModels = new QueryModels();

  constructor(
    private readonly identity: DeviceIdentity,
    private readonly adapters: DeviceAdapters,
    private readonly onChange: (view: DeviceSessionView) => void = () => {},
    examplesStored = 0,
  ) {
    this.view = initialSessionView(examplesStored);
    this.secure = new SecureRoundParticipant(
      identity,
      (round, deadline) => this.trainedUpdate(round, deadline),
      (round, deadline) => this.secureQueries.wordsFor(round, deadline),
      adapters.trainer.mask?.bind(adapters.trainer),
    );
  }

  /** Connects; Socket.IO reconnects by itself (DEVICE_RECONNECTION), and the session says hello again each time. */
  start(): void {
    if (this.socket || this.closed) return;
    this.update({ connection: 'connecting' });
    this.setState('joining');
    const socket = this.adapters.connect();
    this.socket = socket;
    socket.on('connect', () => void this.onConnect(socket));
    socket.on('disconnect', (reason) => {
      this.connection++;
      this.helloAccepted = false;
      this.clearHelloRetry();
      this.update({ connection: reason === 'io client disconnect' ? 'not connected' : 'reconnecting' });
      // The coordinator closed the connection itself: Socket.IO will not retry, so we do.
      if (reason === 'io server disconnect') setTimeout(() => !this.closed && socket.connect(), SERVER_KICK_RETRY_MS);
    });
    socket.on('connect_error', (err) => {
      this.update({ connection: 'waiting for coordinator' });
      // Refused by the coordinator's auth check: Socket.IO does not retry that by itself.
      if (/^unauthorized/.test(err.message)) void this.afterRefusedCredential(socket, err.message);
    });
    socket.io.on('reconnect_attempt', (attempt) => this.update({ connection: 'reconnecting', reconnectAttempt: attempt }));
    socket.on(
      'round:start',
      roundStartReceiver(
        socket,
        (raw) => this.onRoundStart(raw),
        (text) => this.notice(text),
      ),
    );
    socket.on('round:abandoned', (raw) => this.onRoundAbandoned(raw));
    socket.on('secagg:request', (raw) => void this.onSecAggRequest(socket, raw));
    socket.on('model:final', (raw) => void this.onFinalModel(socket, raw));
    socket.on('query:ask', (raw) => void this.onQueryAsk(socket, raw));
    socket.on('federation:status', (raw) => {
      const parsed = FederationStatusMessage.safeParse(raw);
      if (!parsed.success || parsed.data.federationId !== this.identity.federationId) return;
      const { status, round, accuracy, privacyGuarantee, privacySpend } = parsed.data;
      this.coordinator = { status, round };
      this.update({ federation: { status, round, accuracy, ...(privacyGuarantee ? { privacyGuarantee } : {}), ...(privacySpend ? { privacySpend } : {}) } });
    });
    socket.on('coordinator:closing', (raw) => {
      const parsed = CoordinatorClosingMessage.safeParse(raw);
      if (parsed.success) this.notice(parsed.data.reason);
    });
    socket.on('protocol:error', (raw) => {
      const parsed = ProtocolErrorMessage.safeParse(raw);
      if (parsed.success) this.notice(`coordinator refused ${parsed.data.event}: ${parsed.data.reason}`);
    });
  }

  close(): void {
    this.closed = true;
    this.notifyJobWatchers();
    this.clearHelloRetry();
    this.socket?.disconnect();
  }

  private onConnect(socket: DeviceSocket): Promise<void> {
    const connection = ++this.connection;
    this.helloAccepted = false;
    this.helloFailures = 0;
    this.update({ connection: 'connected', reconnectAttempt: null });
    return this.sayHello(socket, connection);
  }

  private async sayHello(socket: DeviceSocket, connection: number): Promise<void> {
    const { deviceId, federationId, backend, adapter, platform, dataSource } = this.identity;
    const reply = await sendHello(socket, {
      protocolVersion: PROTOCOL_VERSION,
      deviceId,
      federationId,
      backend,
      adapter,
      ...(platform ? { platform } : {}),
      ...(dataSource ? { dataSource } : {}),
      ...(this.heldModel ? { heldModel: this.heldModel } : {}),
    });
    // A hello lost with its connection is no error: the next connection says hello itself.
    if (connection !== this.connection || this.closed) return;
    if (!reply.ok) {
      const delay = this.retryHello(socket, connection);
      this.setState('error', `the coordinator did not let this device join (${reply.reason}); it asks again by itself in ${Math.round(delay / 1000)} s`);
      return;
    }
    this.helloAccepted = true;
    this.helloFailures = 0;
    // Before the credential is kept (IndexedDB takes a while): a round:start arriving meanwhile is newer than this reply.
    this.coordinator = { status: reply.status, round: reply.round };
    if (reply.credential) await this.adapters.credentials?.keep(reply.credential);
    if (connection !== this.connection || this.closed) return;
    const accuracy = this.view.federation?.accuracy ?? null;
    const privacy = {
      ...(reply.privacyGuarantee ? { privacyGuarantee: reply.privacyGuarantee } : {}),
      ...(reply.privacySpend ? { privacySpend: reply.privacySpend } : {}),
    };
    this.update({ federation: { ...this.coordinator, accuracy, ...privacy } });
    this.checkJobAfterReconnect(this.coordinator);
    if (this.job?.phase === 'training') {
      this.setState('training', null, true); // the round in progress carries on across the reconnect
      return;
    }
    try {
      await this.ensureData(reply.dataset);
    } catch (err) {
      this.data = null;
      this.setState(
        'error',
        `this device could not get its training examples (${describeError(err)}); it tries again when it reconnects: reload the page if this stays`,
      );
      return;
    }
    if (connection !== this.connection || this.closed) return;
    if (this.job?.phase === 'ready') {
      void this.deliver();
      return;
    }
    this.setState('waiting-for-round', null, true);
    this.runNextRound();
  }

  /** A refused device credential is dropped (a reset coordinator signs with a new key), then the device tries again without it. */
  private async afterRefusedCredential(socket: DeviceSocket, reason: string): Promise<void> {
    this.notice(`coordinator refused the connection: ${reason}`);
    await this.adapters.credentials?.forget();
    setTimeout(() => !this.closed && !socket.connected && socket.connect(), SERVER_KICK_RETRY_MS);
  }

  /** Returns the delay before the next hello, in ms. */
  private retryHello(socket: DeviceSocket, connection: number): number {
    const delay = Math.min(HELLO_RETRY_MAX_MS, HELLO_RETRY_MS * 2 ** this.helloFailures++);
    this.clearHelloRetry();
    this.helloRetry = setTimeout(() => {
      this.helloRetry = null;
      if (connection === this.connection && socket.connected && !this.closed) void this.sayHello(socket, connection);
    }, delay);
    return delay;
  }

  private clearHelloRetry(): void {
    if (this.helloRetry) clearTimeout(this.helloRetry);
    this.helloRetry = null;
  }

  /** The hello after a reconnect may show that the round this device was working on closed without it. */
  private checkJobAfterReconnect(position: CoordinatorPosition): void {
    const job = this.job;
    if (!job || roundFate(job.round, position) !== 'closed') return;
    if (job.phase === 'training' || (job.phase === 'ready' && !job.attempted)) {
      // Still offered once trained: only the coordinator can say whether it counts after all.
      this.miss(job.round, `the coordinator closed it while this device was away (it is at round ${position.round}, ${position.status})`);
    }
  }

  /** Prepares the data once per shard id; concurrent calls share one preparation. */
  private ensureData(assignment: DatasetAssignment | OwnDataAssignment): Promise<void> {
    if (this.data?.id === assignment.shardId) return this.data.ready;
    this.dataReady = false;
    const ready = (async () => {
      const examples = await this.adapters.data.prepare(assignment, () => this.setState('downloading-data'), this.adapters.credentials?.headers());
      this.update({ examplesStored: examples });
      this.dataReady = true;
    })();
    this.data = { id: assignment.shardId, ready };
    return ready;
  }

  private onRoundStart(raw: unknown): void {
    const parsed = RoundStartMessage.safeParse(raw);
    if (!parsed.success) {
      this.notice(`ignored a malformed round:start (${parsed.error.issues[0]?.message ?? 'invalid'})`);
      return;
    }
    const msg = parsed.data;
    if (msg.federationId !== this.identity.federationId) return;
    // round:start goes out before the status broadcast that names its round.
    if (!this.coordinator || msg.round >= this.coordinator.round) this.coordinator = { status: 'training', round: msg.round };

    const job = this.job;
    if (job && job.round === msg.round && sameModel(job.weights, msg.weights)) {
      if (job.phase === 'training' || job.phase === 'sending') return; // already on it
      if (job.update) {
        // Asked again for work already done: the coordinator lost the update (it restarted) or reopened the round.
        if (job.phase !== 'ready') this.notice(`round ${job.round} asked for again: sending the update already computed`);
        job.phase = 'ready';
        void this.deliver();
        return;
      }
    }
    if (!this.nextRound || msg.round >= this.nextRound.round) this.nextRound = msg;
    void this.deliver(); // an update held for the coordinator goes out first
    this.runNextRound();
  }

  /** A round called off for good or until the federation resumes: its work under way is void, so it stops and is dropped. */
  private onRoundAbandoned(raw: unknown): void {
    const parsed = RoundAbandonedMessage.safeParse(raw);
    if (!parsed.success || parsed.data.federationId !== this.identity.federationId) return;
    const { round, reason, next } = parsed.data;
    if (next === 'redone-now') return; // the same model goes out again at once: the work under way still serves
    if (this.nextRound?.round === round) this.nextRound = null;
    const job = this.job;
    // An update being sent is answered by the coordinator; one sent or refused holds nothing to drop.
    if (!job || job.round !== round || (job.phase !== 'training' && job.phase !== 'ready')) return;
    const wasTraining = job.phase === 'training';
    job.phase = 'discarded';
    job.update = null;
    if (wasTraining) this.adapters.trainer.cancel?.();
    this.update({ progress: null, lastAbandoned: { round, reason, next } });
    this.publishJob();
    const dropped = wasTraining ? 'this device stopped training it and discarded its work' : 'this device discarded the update it had computed';
    this.notice(
      `round ${round} was called off (${reason}): ${dropped}${next === 'redone-on-resume' ? '; the round is trained afresh when the federation resumes' : ''}`,
    );
    this.setState('waiting-for-round');
    this.runNextRound();
  }

  /** The federation finished: score its final model on the held-out examples, if this device holds any, and report. */
  private async onFinalModel(socket: DeviceSocket, raw: unknown): Promise<void> {
    const parsed = FinalModelMessage.safeParse(raw);
    const evaluate = this.adapters.trainer.evaluate?.bind(this.adapters.trainer);
    if (!parsed.success || parsed.data.federationId !== this.identity.federationId || !evaluate || !this.data || !this.dataReady) return;
    const { federationId, round, model, weights } = parsed.data;
    this.queryModels.hold(weights);
    let evaluation;
    try {
      evaluation = await evaluate({ federationId, model, weights, shardId: this.data.id });
    } catch (err) {
      this.notice(`the final model could not be scored on this device (${describeError(err)}); the federation's result stands without this device's score`);
      return;
    }
    if (!evaluation || this.closed) return;
    this.update({ finalEvaluation: evaluation });
    const answer: unknown = await socket
      .timeout(FINAL_EVALUATION_ACK_MS)
      .emitWithAck('evaluation:final', { federationId, round, evaluation })
      .catch(() => null);
    const reply = Ack.safeParse(answer);
    const scored = `the final model scored ${(evaluation.accuracy * 100).toFixed(1)}% on this device's ${evaluation.examples} held-out examples`;
    if (reply.success && reply.data.ok) this.notice(`${scored}; the coordinator has the score`);
    else this.notice(`${scored}; the coordinator did not take the score (${reply.success && !reply.data.ok ? reply.data.reason : 'it did not answer'})`);
  }

  private get busy(): boolean {
    return this.trainerBusy || this.job?.phase === 'training' || this.job?.phase === 'sending';
  }

  /** Trains the latest announced round, if the device is free and holds its data. */
  private runNextRound(): void {
    const msg = this.nextRound;
    if (!msg || this.busy || !this.dataReady || !this.helloAccepted || !this.data) return;
    this.nextRound = null;
    void this.runRound(msg, this.data.id);
  }

  private async runRound(msg: ParsedRoundStartMessage, shardId: string): Promise<void> {
    const previous = this.job;
    if (previous?.phase === 'ready') this.miss(previous.round, `round ${msg.round} started before its update could be sent`);
    const job: RoundJob = {
      round: msg.round,
      weights: msg.weights,
      phase: 'training',
      update: null,
      attempted: false,
      counted: false,
      secure: msg.secureAggregation === true,
    };
    this.job = job;
    if (!msg.modelBase) this.queryModels.hold(msg.weights);
    this.update({ round: msg.round, progress: null });
    this.publishJob();
    this.setState('training');
    this.trainerBusy = true;
    try {
      const result = await this.adapters.trainer.train(
        {
          round: msg.round,
          model: msg.model,
          weights: msg.weights,
          config: msg.config,
          shardId,
          federationId: this.identity.federationId,
          ...(msg.codec ? { codec: msg.codec } : {}),
          ...(msg.modelBase ? { modelBase: msg.modelBase } : {}),
          ...(msg.instructions ? { instructions: msg.instructions } : {}),
        },
        ({ loss, ...progress }) => {
          if (job.phase === 'training') this.update({ progress, localLoss: loss });
        },
      );
      this.trainerBusy = false;
      if (job.phase === 'discarded') {
        this.runNextRound();
        return;
      }
      this.update({ localLoss: result.loss, localAccuracy: result.accuracy, numTensors: result.numTensors, heldOutEvaluation: result.evaluation ?? null });
      const message = {
        federationId: this.identity.federationId,
        round: msg.round,
        numExamples: result.numExamples,
        metrics: { loss: result.loss, accuracy: result.accuracy },
        payload: result.payload,
        ...(result.evaluation ? { evaluation: result.evaluation } : {}),
      };
      job.update = { message, bytes: result.payload.byteLength };
      this.heldModel = msg.round;
      job.phase = 'ready';
      this.publishJob();
    } catch (err) {
      this.trainerBusy = false;
      if (job.phase === 'discarded') {
        this.runNextRound();
        return;
      }
      job.phase = 'refused';
      this.publishJob();
      this.setState('error', `training round ${msg.round} failed (${describeError(err)}); this device takes part again from the next round`);
      this.runNextRound();
      return;
    }
    await this.deliver();
  }

  /** Sends the computed update when there is a connection and the coordinator reached its round; else keeps it. */
  private async deliver(): Promise<void> {
    const job = this.job;
    const socket = this.socket;
    if (!job || job.phase !== 'ready' || !job.update || this.closed) return;
    if (job.secure) {
      this.setState('uploading'); // masked and sent when the round's masked-input stage asks
      return;
    }
    const disposition = deliveryDisposition(job.round, this.coordinator);
    if (disposition === 'drop') {
      job.phase = 'refused';
      this.miss(job.round, `the federation is ${this.coordinator?.status ?? 'gone'}`);
      this.setState('waiting-for-round');
    } else if (!socket?.connected || !this.helloAccepted) {
      this.setState('uploading'); // sent after the next hello
    } else if (disposition === 'hold') {
      this.setState('waiting-for-round'); // until the coordinator hands this round out again
    } else {
      job.phase = 'sending';
      job.attempted = true;
      this.publishJob();
      this.setState('uploading');
      const delivery = await uploadUpdate(socket, job.update.message);
      if (delivery.outcome === 'accepted') {
        this.delivered(job, job.update.bytes);
      } else if (delivery.outcome === 'undelivered' && !socket.connected) {
        job.phase = 'ready'; // the connection dropped: sent again after the next hello
      } else {
        job.phase = 'refused';
        this.miss(job.round, delivery.reason);
      }
      if (this.closed) return;
      this.setState(job.phase === 'ready' ? 'uploading' : 'waiting-for-round');
    }
    this.publishJob();
    this.runNextRound();
  }

  /** The coordinator took the round's update (plain or masked): counted once in roundsDone, whatever the retries. */
  private delivered(job: RoundJob, bytes: number): void {
    job.phase = 'sent';
    this.unmiss(job.round);
    this.update({ roundsDone: this.view.roundsDone + (job.counted ? 0 : 1), bytesSent: this.view.bytesSent + bytes });
    job.counted = true;
  }

  private miss(round: number, reason: string): void {
    if (this.missed.has(round)) return;
    this.missed.add(round);
    this.update({ roundsMissed: this.missed.size, lastMissed: { round, reason } });
    this.notice(`round ${round} missed: ${reason}`);
  }

  /** An update first thought too late was acknowledged after all. */
  private unmiss(round: number): void {
    if (!this.missed.delete(round)) return;
    const lastMissed = this.view.lastMissed?.round === round ? null : this.view.lastMissed;
    this.update({ roundsMissed: this.missed.size, lastMissed });
    this.notice(`round ${round} counted after all`);
  }

  private publishJob(): void {
    this.update({ job: this.job ? { round: this.job.round, phase: this.job.phase } : null });
    this.notifyJobWatchers();
  }

  private notifyJobWatchers(): void {
    for (const notify of this.jobWatchers) notify();
    this.jobWatchers.clear();
  }

  /** One stage of a securely aggregated round: this device's answer, or a notice saying why it sits the round out. */
  private async onSecAggRequest(socket: DeviceSocket, raw: unknown): Promise<void> {
    const parsed = SecAggRequestMessage.safeParse(raw);
    if (!parsed.success) {
      this.notice('ignored a malformed secure-aggregation request from the coordinator; reload the page if this repeats');
      return;
    }
    const msg = parsed.data;
    const { round } = msg.request;
    const query = queryOfSecureRound(round);
    const what = query === null ? `round ${round}, secure aggregation` : `query ${query}, secure sum`;
    const answer = await this.secure.answer(msg);
    if (this.closed) return;
    if (!answer.ok) {
      if (msg.stage === 'masked-input' && query === null) this.miss(round, `secure aggregation: ${asClause(answer.reason)}`);
      else this.notice(`${what}: ${asClause(answer.reason)}`);
      return;
    }
    const waitMs = Math.max(1_000, msg.deadline - Date.now());
    const ack = Ack.safeParse(
      await socket
        .timeout(waitMs)
        .emitWithAck('secagg:answer', { stage: msg.stage, answer: toWire(answer.value) })
        .catch(() => null),
    );
    if (!ack.success || !ack.data.ok) {
      const why = ack.success && !ack.data.ok ? ack.data.reason : 'the coordinator did not answer before the stage closed';
      this.notice(`${what}: the coordinator did not take this device's ${msg.stage} answer (${why})`);
      return;
    }
    if (msg.stage === 'masked-input' && query !== null) {
      const answered = await this.secureQueries.sent(round);
      if (answered) this.update({ answeredQueries: [...this.view.answeredQueries, answered].slice(-MAX_ANSWERED_QUERIES) });
      return;
    }
    const job = this.job;
    if (msg.stage === 'masked-input' && job?.round === round && job.update) {
      this.delivered(job, (answer.value as { masked: Uint8Array }).masked.byteLength);
      this.publishJob();
      this.setState('waiting-for-round');
    }
  }

  /**
   * A federated-analytics query: this device's answer, computed from its examples (aggregates only, as whatLeaves
   * says), sent once and listed with its exact numbers. Asked again (it reconnected before the coordinator had it),
   * it sends the same numbers, not a fresh sample.
   */
  private async onQueryAsk(socket: DeviceSocket, raw: unknown): Promise<void> {
    const parsed = QueryAskMessage.safeParse(raw);
    if (!parsed.success) {
      this.notice('ignored a malformed query from the coordinator; reload the page if this repeats');
      return;
    }
    const msg = parsed.data;
    const { queryId, query } = msg;
    if (msg.secureSumLevels !== undefined) this.secureQueries.expect(msg);
    const unanswered = (why: string) => {
      this.secureQueries.withdraw(queryId);
      this.notice(`query ${queryId} (${query.kind}) not answered: ${why}`);
    };
    const asked = this.askedQueries.get(queryId);
    const resent = asked?.deadline === msg.deadline;
    let numbers = resent ? asked.numbers : null;
    if (!numbers) {
      const examples = await this.queryExamples().catch((err: unknown) => {
        unanswered(`this device could not read its examples (${describeError(err)})`);
        return undefined;
      });
      if (examples === undefined || this.closed) return;
      if (examples === null) return unanswered('this device holds no examples for the federation yet');
      try {
        numbers = [
          ...(query.kind === 'confusion-matrix'
            ? await predictedConfusionAnswer(this.queryModels, this.adapters.trainer, socket, this.identity.federationId, { ...msg, query }, examples)
            : deviceAnswer(query, msg.context, examples)),
        ];
      } catch (err) {
        return unanswered(describeError(err));
      }
      this.askedQueries.delete(queryId);
      this.askedQueries.set(queryId, { deadline: msg.deadline, numbers });
      if (this.askedQueries.size > MAX_ANSWERED_QUERIES) this.askedQueries.delete(this.askedQueries.keys().next().value!);
    }
    // A secure sum's stages take the numbers, masked; they are listed once the coordinator took them.
    if (msg.secureSumLevels !== undefined) return this.secureQueries.answer(queryId, numbers);
    const waitMs = Math.max(1_000, msg.deadline - Date.now());
    const ack = Ack.safeParse(
      await socket
        .timeout(waitMs)
        .emitWithAck('query:answer', { queryId, answer: numbers })
        .catch(() => null),
    );
    if (this.closed) return;
    if (!resent) {
      const answered = { queryId, kind: query.kind, at: new Date().toISOString(), whatLeaves: msg.whatLeaves, numbers };
      this.update({ answeredQueries: [...this.view.answeredQueries, answered].slice(-MAX_ANSWERED_QUERIES) });
    }
    if (!ack.success || !ack.data.ok) {
      const why = ack.success && !ack.data.ok ? ack.data.reason : 'it did not answer before the query closed';
      this.notice(`query ${queryId} (${query.kind}): the coordinator did not take this device's answer (${why})`);
    }
  }

  /** The examples a query counts: those held for the federation, once the data the coordinator named is in; null without any. */
  private async queryExamples(): Promise<ImageDataset | null> {
    const examples = this.adapters.data.examples?.bind(this.adapters.data);
    if (!examples) throw new Error('this kind of device does not answer queries');
    if (!this.data) return null;
    await this.data.ready;
    return examples(this.data.id);
  }

  /** The update of `round` once trained; null if its training failed, was called off, or is not done by `deadline` (epoch ms). */
  private async trainedUpdate(round: number, deadline: number): Promise<TrainedUpdate | null> {
    for (;;) {
      const job = this.job;
      if (job?.round === round && job.update) {
        const { payload, numExamples } = job.update.message;
        return { delta: decodeWeights(payload instanceof Uint8Array ? payload : new Uint8Array(payload)).values, examples: numExamples };
      }
      const trainingIt = job?.round === round && job.phase === 'training';
      const comingUp = (!job || job.round < round) && this.nextRound?.round === round;
      if (this.closed || (!trainingIt && !comingUp) || Date.now() >= deadline) return null;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
        this.jobWatchers.add(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Updates the state and tells the coordinator when it changed (or always, with `announce`). */
  private setState(state: DeviceState, detail: string | null = null, announce = false): void {
    const changed = state !== this.view.state || detail !== this.view.detail;
    this.update({ state, detail });
    if (detail && changed) this.notice(detail);
    if (changed || announce) this.emitStatus();
  }

  private emitStatus(): void {
    if (!this.socket?.connected || !this.helloAccepted) return;
    const { state, detail } = this.view;
    this.socket.emit('status', detail ? { state, detail: detail.slice(0, 500) } : { state });
  }

  private notice(message: string): void {
    this.update({ messages: [message, ...this.view.messages].slice(0, MAX_MESSAGES) });
  }

  private update(patch: Partial<DeviceSessionView>): void {
    if (this.closed) return;
    this.view = { ...this.view, ...patch };
    this.onChange(this.view);
  }
}
