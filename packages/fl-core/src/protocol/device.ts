import { z } from 'zod';
import { boundedNumber } from './boundedNumber.ts';
import { DOWNLINK_CODECS, WEIGHTS_CODECS } from './codecNames.ts';
import { MODEL_NAMES } from './modelNames.ts';

/** Bumped whenever a message's shape changes; the coordinator refuses other versions at `hello`. */
export const PROTOCOL_VERSION = 1;

/** Largest update payload a device may send, whatever the model (Socket.IO's own cap sits above it). */
export const MAX_UPDATE_BYTES = 32 * 1024 * 1024;

/** The most examples any message may count: the protocol's ceiling; a federation's own bound (maxExamplesPerDevice) sits below it. */
export const MAX_DECLARED_EXAMPLES = 100_000_000;

/** Binary arrives as Buffer in Node and as ArrayBuffer in browsers; both are normalised to Uint8Array. */
export const BinaryPayload = z.union([z.instanceof(Uint8Array), z.instanceof(ArrayBuffer)]).transform((b) => (b instanceof Uint8Array ? b : new Uint8Array(b)));

const Id = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'use letters, digits, _ and - only');
export const DeviceId = Id.min(8);
export const FederationId = Id;

/** What trains on the device: a tfjs backend (tabs, Node), or the Python client's PyTorch or plain-numpy trainer. */
export const BackendName = z.enum(['webgpu', 'webgl', 'cpu', 'wasm', 'pytorch', 'numpy']);
export type BackendName = z.infer<typeof BackendName>;

/** What kind of client the device is: a browser tab, a Node silo (`flockctl client`) or a Python silo (`flock-py client`). */
export const DevicePlatform = z.enum(['tab', 'node', 'python']);
export type DevicePlatform = z.infer<typeof DevicePlatform>;

export const DeviceState = z.enum(['idle', 'joining', 'downloading-data', 'waiting-for-round', 'training', 'uploading', 'error']);
export type DeviceState = z.infer<typeof DeviceState>;

export const AdapterInfo = z.object({
  vendor: z.string().max(200),
  architecture: z.string().max(200),
});
export type AdapterInfo = z.infer<typeof AdapterInfo>;

export const ModelName = z.enum(MODEL_NAMES);
export type ModelName = z.infer<typeof ModelName>;

/** An operator's uploaded tfjs LayersModel (POST /api/models), named by the id the upload got. */
export type UploadedModelId = `uploaded-${string}`;
const UPLOADED_MODEL_ID = /^uploaded-[0-9a-f]{12}$/;
export const UploadedModelId = z.custom<UploadedModelId>(
  (v) => typeof v === 'string' && UPLOADED_MODEL_ID.test(v),
  'an uploaded model id looks like uploaded-0123456789ab',
);
/** What a federation trains: a zoo model by name, or an uploaded model by id (devices build it from the federation's topology). */
export const ModelRef = z.union([ModelName, UploadedModelId], {
  error: `a model is a zoo name (${MODEL_NAMES.join(', ')}) or an uploaded model id (uploaded-0123456789ab)`,
});
export type ModelRef = z.infer<typeof ModelRef>;

export function isUploadedModel(model: ModelRef): model is UploadedModelId {
  return model.startsWith('uploaded-');
}

export const TrainingConfig = z.object({
  epochs: boundedNumber({ min: 1, max: 100, integer: true }),
  batchSize: boundedNumber({ min: 1, max: 4_096, integer: true }),
  // Below 1e-6 a step moves float32 weights by less than their rounding: training would do nothing.
  learningRate: boundedNumber({ min: 0.000001, max: 10 }),
  /** How the device steps: plain SGD (absent), SGD with momentum 0.9, or Adam; state is reset every round. */
  optimizer: z.enum(['sgd', 'momentum', 'adam']).optional(),
});
export type TrainingConfig = z.infer<typeof TrainingConfig>;

/** How a device encodes its update: float32 (4 bytes a value), float16 (2), int8 (~1.02), topk (sparse). */
export const UplinkCodecName = z.enum(WEIGHTS_CODECS);
export type UplinkCodecName = z.infer<typeof UplinkCodecName>;
/** How the coordinator encodes the global model it sends. */
export const DownlinkCodecName = z.enum(DOWNLINK_CODECS);
export type DownlinkCodecName = z.infer<typeof DownlinkCodecName>;

/** The uplink codec a round asks for; `topkFraction` (default 0.01) only with `topk`. */
export const RoundCodec = z.object({
  uplink: UplinkCodecName,
  topkFraction: z.number().positive().max(1).optional(),
});
export type RoundCodec = z.infer<typeof RoundCodec>;

// ---- device -> coordinator ----

export const HelloMessage = z.object({
  protocolVersion: z.number().int(),
  deviceId: DeviceId,
  federationId: FederationId,
  backend: BackendName,
  adapter: AdapterInfo.nullable(),
  /** Absent: a client from before platforms were named; the dashboard shows it as unknown. */
  platform: DevicePlatform.optional(),
  /**
   * Where the device's training examples come from: `assigned` (the default) downloads a shard from
   * the coordinator; `own` brings local data (a silo) and declares how many examples it holds.
   */
  dataSource: z
    .discriminatedUnion('kind', [
      z.object({ kind: z.literal('assigned') }),
      z.object({ kind: z.literal('own'), numExamples: z.number().int().min(1).max(MAX_DECLARED_EXAMPLES) }),
    ])
    .optional(),
  /** The round whose model this device still holds (it trained on it): the next may come as a delta against it. */
  heldModel: z.number().int().min(1).optional(),
});
export type HelloMessage = z.infer<typeof HelloMessage>;

export const StatusMessage = z.object({
  state: DeviceState,
  detail: z.string().max(500).optional(),
});
export type StatusMessage = z.infer<typeof StatusMessage>;

/** How the global model a device received scored on its held-out local examples (federated evaluation). */
export const LocalEvaluation = z.object({
  loss: z.number().finite().min(0),
  accuracy: z.number().min(0).max(1),
  examples: z.number().int().min(1).max(MAX_DECLARED_EXAMPLES),
});
export type LocalEvaluation = z.infer<typeof LocalEvaluation>;

export const UpdateMessage = z.object({
  federationId: FederationId,
  round: z.number().int().min(1),
  numExamples: z.number().int().min(1).max(MAX_DECLARED_EXAMPLES),
  metrics: z.object({
    loss: z.number().finite().min(0),
    accuracy: z.number().min(0).max(1),
  }),
  payload: BinaryPayload.refine((b) => b.byteLength <= MAX_UPDATE_BYTES, {
    message: `payload larger than ${MAX_UPDATE_BYTES} bytes`,
  }),
  /** The round's global model on the device's local test split, before it trained; absent without one. */
  evaluation: LocalEvaluation.optional(),
});
export type UpdateMessage = z.input<typeof UpdateMessage>;
export type ParsedUpdateMessage = z.output<typeof UpdateMessage>;

// ---- coordinator -> device ----

export const DatasetAssignment = z.object({
  kind: z.literal('mnist-shard'),
  /** Path (relative to the coordinator) that serves this device's shard once. */
  shardPath: z.string(),
  shardId: z.string(),
  numExamples: z.number().int().min(1),
});
export type DatasetAssignment = z.infer<typeof DatasetAssignment>;

/** The reply to a device that brings its own data: updates may claim up to `numExamples`. */
export const OwnDataAssignment = z.object({
  kind: z.literal('own'),
  shardId: z.string(),
  numExamples: z.number().int().min(1),
});
export type OwnDataAssignment = z.infer<typeof OwnDataAssignment>;

export const FederationStatus = z.enum(['idle', 'waiting', 'training', 'aggregating', 'paused', 'finished', 'stopped']);
export type FederationStatus = z.infer<typeof FederationStatus>;

export const Ack = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true) }),
  z.object({
    ok: z.literal(false),
    reason: z.string(),
    /** A refusal for now only (the coordinator is shutting down): keep the message and send it again after this many ms. */
    retryAfterMs: z.number().int().min(0).max(60_000).optional(),
  }),
]);
export type Ack = z.infer<typeof Ack>;

/**
 * The ε training and the federation's analytics queries spent together, in words (PrivacySpend.words: "Training has
 * spent ε 3.2 and queries ε 1: ε 4.2 of the target 8."); sent once queries have spent some, beside privacyGuarantee.
 */
const PrivacySpendWords = z.string().max(300).optional();

export const HelloReply = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    federationId: FederationId,
    model: ModelRef,
    dataset: z.discriminatedUnion('kind', [DatasetAssignment, OwnDataAssignment]),
    status: FederationStatus,
    round: z.number().int().min(0),
    /**
     * The device credential (a JWT) this device id is now bound to, sent on its first hello: the
     * device keeps it and presents it (Socket.IO handshake `auth.token`, shard download bearer) from then on.
     */
    credential: z.string().min(1).max(4_096).optional(),
    /** The federation's differential-privacy guarantee in one sentence, for the person at the device. */
    privacyGuarantee: z.string().max(500).optional(),
    privacySpend: PrivacySpendWords,
  }),
  z.object({ ok: z.literal(false), reason: z.string() }),
]);
export type HelloReply = z.infer<typeof HelloReply>;

/** Training instructions a round's strategy adds to the federation's training config (see strategy/). */
export const RoundInstructions = z.object({
  /** FedProx: the device adds mu/2 ||w - w_global||^2 to its loss. */
  proximalMu: z.number().min(0).max(1000).optional(),
  /** The device clips its delta to this L2 norm before upload (DP, norm-bounded averaging). */
  clipNorm: z.number().positive().optional(),
  /** Local DP: the device adds Gaussian noise of this standard deviation to each value of its clipped delta. */
  noiseStd: z.number().min(0).optional(),
});
export type RoundInstructions = z.infer<typeof RoundInstructions>;

/** Which held model a downlink delta applies to, and the grid the sum is rounded to. */
export const ModelBase = z.object({ round: z.number().int().min(1), precision: DownlinkCodecName });
export type ModelBase = z.infer<typeof ModelBase>;

export const RoundStartMessage = z.object({
  federationId: FederationId,
  round: z.number().int().min(1),
  model: ModelRef,
  config: TrainingConfig,
  /** Epoch milliseconds after which the round may close without this device. */
  deadline: z.number(),
  /** The global model, encoded with the weights codec (its header names the codec it uses). */
  weights: BinaryPayload,
  /** How to encode this round's update. Absent (an older coordinator): float32. */
  codec: RoundCodec.optional(),
  /**
   * Present when `weights` is a delta against the model of round `round`, which the device holds: the
   * model is that one plus the delta, rounded to `precision` (codec/downlinkDelta.ts).
   */
  modelBase: ModelBase.optional(),
  /** The strategy's instructions (proximal mu, clip norm, local DP noise). Absent: none. */
  instructions: RoundInstructions.optional(),
  /**
   * The round is securely aggregated: the device keeps its update and sends it masked when the `secagg:request` of
   * the masked-input stage asks, never as a plain `update`.
   */
  secureAggregation: z.literal(true).optional(),
});
export type RoundStartMessage = z.input<typeof RoundStartMessage>;
export type ParsedRoundStartMessage = z.output<typeof RoundStartMessage>;

export const FederationStatusMessage = z.object({
  federationId: FederationId,
  status: FederationStatus,
  round: z.number().int().min(0),
  accuracy: z.number().nullable(),
  /** The federation's differential-privacy guarantee in one sentence, for the person at the device. */
  privacyGuarantee: z.string().max(500).optional(),
  privacySpend: PrivacySpendWords,
});
export type FederationStatusMessage = z.infer<typeof FederationStatusMessage>;

/**
 * The coordinator called a round off (the operator paused or stopped the federation, or too few
 * updates came by its deadline). `next` says what becomes of it: `redone-now` (a new attempt with
 * the same model starts at once: work under way stays useful), `redone-on-resume` (paused: the work
 * is void, the round is handed out afresh when the federation resumes) or `never` (stopped).
 */
export const RoundAbandonedMessage = z.object({
  federationId: FederationId,
  round: z.number().int().min(1),
  /** Why, in words for the person at the device. */
  reason: z.string().max(500),
  next: z.enum(['redone-now', 'redone-on-resume', 'never']),
});
export type RoundAbandonedMessage = z.infer<typeof RoundAbandonedMessage>;

/** The coordinator is about to close every connection (it is shutting down or restarting). */
export const CoordinatorClosingMessage = z.object({
  /** What happens, in words for the person at the device. */
  reason: z.string().max(500),
});
export type CoordinatorClosingMessage = z.infer<typeof CoordinatorClosingMessage>;

/**
 * The federation finished: its final model, which no round:start carries (each round's start model is
 * scored with that round's update), so the devices online score it on their held-out examples and
 * answer with `evaluation:final`. Devices without held-out examples ignore it.
 */
export const FinalModelMessage = z.object({
  federationId: FederationId,
  /** The last round: the model is the one it produced. */
  round: z.number().int().min(1),
  model: ModelRef,
  /** The whole model, encoded with the weights codec (never a delta). */
  weights: BinaryPayload,
});
export type FinalModelMessage = z.input<typeof FinalModelMessage>;

/** A device's score of the final model on its held-out examples (device -> coordinator, acknowledged). */
export const FinalEvaluationMessage = z.object({
  federationId: FederationId,
  round: z.number().int().min(1),
  evaluation: LocalEvaluation,
});
export type FinalEvaluationMessage = z.infer<typeof FinalEvaluationMessage>;

export const ProtocolErrorMessage = z.object({ event: z.string(), reason: z.string() });
export type ProtocolErrorMessage = z.infer<typeof ProtocolErrorMessage>;
