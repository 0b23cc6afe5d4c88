import type { TrainingEngine } from '@flock/fl-core';
import type { PredictionJob, TrainingJob } from '@flock/fl-core/device';
import type { AdapterInfo, BackendName, LocalEvaluation, ModelRef } from '@flock/fl-core/protocol';
import type { MaskingWork } from '@flock/fl-core/secagg';

/** Backends this client can run, in the order they are tried; `wasm` only for dense models (its convolutions cannot train). */
export const CLIENT_BACKENDS = ['webgpu', 'webgl', 'wasm', 'cpu'] as const satisfies readonly BackendName[];
export type ClientBackend = (typeof CLIENT_BACKENDS)[number];

export interface BackendChoice {
  backend: ClientBackend;
  adapter: AdapterInfo | null;
  /** Why this backend, in words (what was tried and why it failed). */
  reason: string;
  /** The loop that trains the federation's model on this backend, and why not Flock's WebGPU engine when it does not. */
  engine: TrainingEngine;
}

// ---- page -> worker ----

export interface InitRequest {
  type: 'init';
  /** Forces one backend; the worker still falls back (and says why) if it cannot start. */
  backend?: ClientBackend;
  /** The federation's model, which the backends are timed with when none is forced (default: the demo's `mnist-mlp`). */
  model?: ModelRef;
}

/** A device's training job (fl-core's TrainingJob) as posted to the worker: the weights travel as a transferred buffer. */
export interface TrainRequest extends Omit<TrainingJob, 'weights'> {
  type: 'train';
  /** Numbers this request (a round redone after a pause is a new job with the same round). */
  job: number;
  /** The global model, encoded with the weights codec (transferred). */
  weights: ArrayBuffer;
  /** Train on the examples imported for `federationId`, holding out `testFraction` to evaluate on; absent: the shard. */
  ownData?: { testFraction: number };
}

/** Scores the finished federation's final model on the held-out share of the examples imported for `federationId`. */
export interface EvaluateRequest {
  type: 'evaluate';
  job: number;
  model: ModelRef;
  /** The whole model, encoded with the weights codec (transferred). */
  weights: ArrayBuffer;
  shardId: string;
  federationId: string;
  testFraction: number;
}

/** The label a model predicts for each example (a confusion-matrix query), off the page's thread. */
export interface PredictRequest extends Omit<PredictionJob, 'weights'> {
  type: 'predict';
  job: number;
  /** The whole model, encoded with the weights codec (transferred). */
  weights: ArrayBuffer;
}

/** Stops training job `job` (the coordinator called its round off); sent outside the worker's queue. */
export interface CancelRequest {
  type: 'cancel';
  job: number;
}

/** What the worker handles one at a time, in order. */
export type QueuedRequest = InitRequest | TrainRequest | EvaluateRequest | PredictRequest;
/**
 * Quantizes and masks a secure round's update (secagg's maskVector), so the page's thread stays free; sent outside the
 * queue, as the masked-input stage has a deadline and the next round may be training already.
 */
export interface MaskRequest {
  type: 'mask';
  job: number;
  work: MaskingWork;
}

export type PageToWorkerMessage = QueuedRequest | CancelRequest | MaskRequest;

// ---- worker -> page ----

export interface ReadyEvent extends BackendChoice {
  type: 'ready';
}

/** The chooser is timing `backend`, one of `candidates`, to find the fastest. */
export interface MeasuringEvent {
  type: 'measuring';
  backend: ClientBackend;
  candidates: readonly ClientBackend[];
}

export interface ProgressEvent {
  type: 'progress';
  job: number;
  round: number;
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  loss: number;
}

export interface ResultEvent {
  type: 'result';
  job: number;
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
  /** Bytes the device holds on the GPU after the round (webgpu, webgl): tfjs's live tensors and Flock's engine's buffers; null elsewhere. */
  gpuBytes: number | null;
  /** The loop that trained this round (the engine hands a round to the tfjs loop, saying why, when it fails on the model and shard). */
  engine: TrainingEngine;
}

/** The final model's score on the held-out examples; null when the device holds none back. */
export interface EvaluationEvent {
  type: 'evaluation';
  job: number;
  evaluation: LocalEvaluation | null;
}

/** Predicted labels, one per example of the request, in order (transferred). */
export interface PredictionsEvent {
  type: 'predictions';
  job: number;
  labels: Int32Array<ArrayBuffer>;
}

/** The masked vector of a MaskRequest (transferred). */
export interface MaskedEvent {
  type: 'masked';
  job: number;
  masked: Uint32Array<ArrayBuffer>;
}

export interface ErrorEvent {
  type: 'error';
  /** The training job that failed; null when starting the backend failed. */
  job: number | null;
  message: string;
}

export type WorkerToPageMessage = ReadyEvent | MeasuringEvent | ProgressEvent | ResultEvent | EvaluationEvent | PredictionsEvent | MaskedEvent | ErrorEvent;

export function assertNever(value: never): never {
  throw new Error(`unhandled message: ${JSON.stringify(value)}`);
}
