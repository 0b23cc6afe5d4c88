import type {
  AdapterInfo,
  BackendName,
  DatasetAssignment,
  DevicePlatform,
  DeviceState,
  FederationStatus,
  HelloMessage,
  LocalEvaluation,
  ModelRef,
  OwnDataAssignment,
  ModelBase,
  RoundCodec,
  RoundAbandonedMessage,
  RoundInstructions,
  TrainingConfig,
} from '../protocol/device.ts';
import type { ImageDataset } from '../data/dataset.ts';
import type { MaskingWork } from '../secagg/masking.ts';
import type { DeviceCredentials } from './deviceCredentials.ts';
import type { DeviceSocket } from './deviceSocket.ts';
import type { RoundJobPhase } from './roundJob.ts';

/** What a device session needs from its platform (a tab: IndexedDB and a worker; Node: files, memory, in-process tfjs). */
export interface DeviceAdapters {
  /** Opens a new Socket.IO connection to the coordinator (auto-connecting, with reconnection). */
  connect(): DeviceSocket;
  data: DeviceData;
  trainer: DeviceTrainer;
  /** The token the device presents; `connect` and the data adapter read it too. Absent: none. */
  credentials?: DeviceCredentials;
}

export interface DeviceIdentity {
  deviceId: string;
  federationId: string;
  backend: BackendName;
  adapter: AdapterInfo | null;
  /** What kind of client this is, for the dashboard. */
  platform?: DevicePlatform;
  /** Absent: the device downloads the shard the coordinator assigns. */
  dataSource?: HelloMessage['dataSource'];
}

export interface DeviceData {
  /**
   * Makes the data the coordinator named available for training: a shard is downloaded only when it
   * is not held already (call `downloading()` first, and send `authHeaders`: the device's credential),
   * own data is checked. Returns the examples held.
   */
  prepare(assignment: DatasetAssignment | OwnDataAssignment, downloading: () => void, authHeaders?: Record<string, string>): Promise<number>;
  /**
   * Every example held under `shardId` (the one `prepare` made available), which a federated-analytics query
   * counts; null when none is held. Absent: the device answers no query.
   */
  examples?(shardId: string): Promise<ImageDataset | null>;
}

/** A query this device answered: what the person was told leaves, and exactly the numbers that left. */
export interface AnsweredQuery {
  queryId: string;
  kind: string;
  /** When the answer left (ISO 8601). */
  at: string;
  whatLeaves: string;
  numbers: number[];
  /** The numbers left masked, inside a secure sum: the coordinator saw only their total over many devices. */
  masked?: true;
}

export interface TrainingJob {
  round: number;
  model: ModelRef;
  /** The global model, encoded with the weights codec. */
  weights: Uint8Array;
  config: TrainingConfig;
  shardId: string;
  /** The federation the round belongs to (with the shard, it keys a top-k device's error-feedback residual). */
  federationId?: string;
  /** How round:start asked for the update to be encoded; absent: float32. */
  codec?: RoundCodec;
  /** Set when `weights` is a delta against the model of an earlier round the trainer kept. */
  modelBase?: ModelBase;
  /** The strategy's instructions from round:start (proximal mu, clip norm, local DP noise). */
  instructions?: RoundInstructions;
}

/** The final model to score on the device's held-out examples (model:final). */
export interface EvaluationJob {
  model: ModelRef;
  /** The whole model, encoded with the weights codec. */
  weights: Uint8Array;
  shardId: string;
  federationId: string;
}

/** A model (sent whole) and the examples whose labels it predicts, for a confusion-matrix query. */
export interface PredictionJob {
  model: ModelRef;
  /** The whole model, encoded with the weights codec. */
  weights: Uint8Array;
  examples: ImageDataset;
}

export interface TrainingProgressView {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  loss: number;
}

export interface TrainingOutcome {
  /** `encodeWeights(manifest, delta, 'delta')`, on a plain (not shared) buffer. */
  payload: Uint8Array<ArrayBuffer>;
  numExamples: number;
  loss: number;
  accuracy: number;
  /** The received global model on the device's held-out examples (federated evaluation); absent without any. */
  evaluation?: LocalEvaluation;
  /** Live tensors after the round, where the trainer can tell. */
  numTensors: number | null;
}

export interface DeviceTrainer {
  train(job: TrainingJob, onProgress: (p: TrainingProgressView) => void): Promise<TrainingOutcome>;
  /** Stops the training under way (its `train` rejects). Absent: the session ignores the outcome instead. */
  cancel?(): void;
  /** Scores a model on the device's held-out examples; null when it holds none. Absent: the device never evaluates the final model. */
  evaluate?(job: EvaluationJob): Promise<LocalEvaluation | null>;
  /** The label the model predicts for each example, in order (off the page's thread on a tab). Absent: the device answers no confusion matrix. */
  predict?(job: PredictionJob): Promise<Int32Array>;
  /** Quantizes and masks a secure round's update (secagg's maskVector; off the page's thread on a tab). Absent: the session does it itself. */
  mask?(work: MaskingWork): Promise<Uint32Array>;
}

export type ConnectionState = 'not connected' | 'connecting' | 'connected' | 'reconnecting' | 'waiting for coordinator';

/** Everything a device shows about itself; the session publishes a new object on each change. */
export interface DeviceSessionView {
  state: DeviceState;
  /** Why the device is in `error`, when it is. */
  detail: string | null;
  connection: ConnectionState;
  /** Which reconnection attempt is under way while `reconnecting`, else null. */
  reconnectAttempt: number | null;
  federation: { status: FederationStatus; round: number; accuracy: number | null; privacyGuarantee?: string; privacySpend?: string } | null;
  round: number | null;
  /** The round this device works on (or last worked on) and where that work stands. */
  job: { round: number; phase: RoundJobPhase } | null;
  progress: Omit<TrainingProgressView, 'loss'> | null;
  localLoss: number | null;
  localAccuracy: number | null;
  /** The last received global model on this device's held-out examples (own data only). */
  heldOutEvaluation: LocalEvaluation | null;
  /** The finished federation's final model on this device's held-out examples, once scored. */
  finalEvaluation: LocalEvaluation | null;
  /** Rounds whose update the coordinator acknowledged. */
  roundsDone: number;
  /** Rounds this device trained for that closed without its update (refused as stale, or closed while it was away). */
  roundsMissed: number;
  lastMissed: { round: number; reason: string } | null;
  /** The last round the coordinator called off while this device had work for it, and why. */
  lastAbandoned: { round: number; reason: string; next: RoundAbandonedMessage['next'] } | null;
  bytesSent: number;
  examplesStored: number;
  numTensors: number | null;
  /** Latest notices (refused updates, protocol errors), newest first. */
  messages: string[];
  /** The federated-analytics queries this device answered, oldest first (the latest 50). */
  answeredQueries: AnsweredQuery[];
}

export function initialSessionView(examplesStored = 0): DeviceSessionView {
  return {
    state: 'idle',
    detail: null,
    connection: 'not connected',
    reconnectAttempt: null,
    federation: null,
    round: null,
    job: null,
    progress: null,
    localLoss: null,
    localAccuracy: null,
    heldOutEvaluation: null,
    finalEvaluation: null,
    roundsDone: 0,
    roundsMissed: 0,
    lastMissed: null,
    lastAbandoned: null,
    bytesSent: 0,
    examplesStored,
    numTensors: null,
    messages: [],
    answeredQueries: [],
  };
}
