import type { AdapterInfo, BackendName, LocalEvaluation, ModelBase, ModelRef, RoundCodec, RoundInstructions, TrainingConfig } from '@flock/fl-core/protocol';

/** Backends this client can run, in the order they are tried; `wasm` only for dense models (its convolutions cannot train). */
export const CLIENT_BACKENDS = ['webgpu', 'webgl', 'wasm', 'cpu'] as const satisfies readonly BackendName[];
export type ClientBackend = (typeof CLIENT_BACKENDS)[number];

export interface BackendChoice {
  backend: ClientBackend;
  adapter: AdapterInfo | null;
  /** Why this backend, in words (what was tried and why it failed). */
  reason: string;
}

// ---- page -> worker ----

export interface InitRequest {
  type: 'init';
  /** Forces one backend; the worker still falls back (and says why) if it cannot start. */
  backend?: ClientBackend;
  /** The federation's model, which the backends are timed with when none is forced (default: the demo's `mnist-mlp`). */
  model?: ModelRef;
}

export interface TrainRequest {
  type: 'train';
  round: number;
  model: ModelRef;
  /** The global model, encoded with the weights codec (transferred). */
  weights: ArrayBuffer;
  config: TrainingConfig;
  shardId: string;
  federationId?: string;
  /** How to encode the update (round:start's codec); absent: float32. */
  codec?: RoundCodec;
  /** Set when `weights` is a delta against a model of an earlier round the worker kept. */
  modelBase?: ModelBase;
  /** The strategy's instructions from round:start (proximal mu, clip norm, local DP noise). */
  instructions?: RoundInstructions;
  /** Train on the examples imported for `federationId`, holding out `testFraction` to evaluate on; absent: the shard. */
  ownData?: { testFraction: number };
}

export type PageToWorkerMessage = InitRequest | TrainRequest;

// ---- worker -> page ----

export interface ReadyEvent extends BackendChoice {
  type: 'ready';
}

export interface ProgressEvent {
  type: 'progress';
  round: number;
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  loss: number;
}

export interface ResultEvent {
  type: 'result';
  round: number;
  /** `encodeWeights(manifest, delta, 'delta')` (transferred). */
  payload: ArrayBuffer;
  numExamples: number;
  loss: number;
  accuracy: number;
  /** The received global model on the held-out examples (own data only). */
  evaluation?: LocalEvaluation;
  /** tf.memory().numTensors after the round: constant from round to round when nothing leaks. */
  numTensors: number;
  /** Bytes of live tensors the backend holds on the GPU after the round (webgpu, webgl); null elsewhere. */
  gpuBytes: number | null;
}

export interface ErrorEvent {
  type: 'error';
  /** The round that failed, when the failure was a training request. */
  round: number | null;
  message: string;
}

export type WorkerToPageMessage = ReadyEvent | ProgressEvent | ResultEvent | ErrorEvent;

export function assertNever(value: never): never {
  throw new Error(`unhandled message: ${JSON.stringify(value)}`);
}
