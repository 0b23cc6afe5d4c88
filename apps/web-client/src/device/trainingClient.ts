import type { LocalEvaluation, ModelRef } from '@flock/fl-core';
import type { MaskingWork } from '@flock/fl-core/secagg';
import {
  assertNever,
  type BackendChoice,
  type ClientBackend,
  type EvaluateRequest,
  type MeasuringEvent,
  type PageToWorkerMessage,
  type PredictRequest,
  type ProgressEvent,
  type ResultEvent,
  type TrainRequest,
  type WorkerToPageMessage,
} from '../worker/workerMessages.ts';

interface Pending<T> {
  resolve: (value: T) => void;
  reject: (err: Error) => void;
}

/** The page's side of the training worker: one init, then one training request at a time. */
export class TrainingClient {
  private readonly worker: Worker;
  private pendingInit: (Pending<BackendChoice> & { onMeasuring: (m: MeasuringEvent) => void }) | null = null;
  private pendingTrain: (Pending<ResultEvent> & { job: number; round: number; onProgress: (p: ProgressEvent) => void }) | null = null;
  private pendingEvaluation: (Pending<LocalEvaluation | null> & { job: number }) | null = null;
  /** Prediction requests by job: queries may overlap (one asked again after a reconnect). */
  private readonly pendingPredictions = new Map<number, Pending<Int32Array>>();
  /** Secure rounds' masking requests by job. */
  private readonly pendingMasks = new Map<number, Pending<Uint32Array>>();
  private jobs = 0;

  constructor() {
    this.worker = new Worker(new URL('../worker/trainingWorker.ts', import.meta.url), { type: 'module' });
    this.worker.onmessage = (event: MessageEvent<WorkerToPageMessage>) => this.onMessage(event.data);
    this.worker.onerror = (event) => this.failAll(new Error(`the training worker failed to load (${event.message || 'no reason given'}): reload the page`));
  }

  /** Starts the worker's backend: `backend` forced, else the fastest for `model` (the federation's), reporting each one it times. */
  init(backend: ClientBackend | undefined, model: ModelRef | undefined, onMeasuring: (m: MeasuringEvent) => void): Promise<BackendChoice> {
    if (this.pendingInit) return Promise.reject(new Error('the worker is already starting'));
    return new Promise((resolve, reject) => {
      this.pendingInit = { resolve, reject, onMeasuring };
      this.send({ type: 'init', ...(backend ? { backend } : {}), ...(model ? { model } : {}) });
    });
  }

  train(request: Omit<TrainRequest, 'type' | 'job'>, onProgress: (p: ProgressEvent) => void): Promise<ResultEvent> {
    if (this.pendingTrain) return Promise.reject(new Error(`round ${this.pendingTrain.round} is still training`));
    const job = ++this.jobs;
    return new Promise((resolve, reject) => {
      this.pendingTrain = { resolve, reject, job, round: request.round, onProgress };
      this.send({ type: 'train', job, ...request }, [request.weights]);
    });
  }

  /** Scores a model on the held-out share of the imported examples (the final model, once the federation finished). */
  evaluate(request: Omit<EvaluateRequest, 'type' | 'job'>): Promise<LocalEvaluation | null> {
    if (this.pendingEvaluation) return Promise.reject(new Error('the final model is already being scored'));
    const job = ++this.jobs;
    return new Promise((resolve, reject) => {
      this.pendingEvaluation = { resolve, reject, job };
      this.send({ type: 'evaluate', job, ...request }, [request.weights]);
    });
  }

  /** The label the model predicts for each example, computed in the worker after the jobs before it. */
  predict(request: Omit<PredictRequest, 'type' | 'job'>): Promise<Int32Array> {
    const job = ++this.jobs;
    return new Promise((resolve, reject) => {
      this.pendingPredictions.set(job, { resolve, reject });
      this.send({ type: 'predict', job, ...request }, [request.weights]);
    });
  }

  /** Quantizes and masks a secure round's update in the worker, at once (not after the jobs before it). */
  mask(work: MaskingWork): Promise<Uint32Array> {
    const job = ++this.jobs;
    return new Promise((resolve, reject) => {
      this.pendingMasks.set(job, { resolve, reject });
      this.send({ type: 'mask', job, work });
    });
  }

  /** Stops the training under way: the worker drops it at its next progress report, and its promise rejects now. */
  cancel(): void {
    const pending = this.pendingTrain;
    if (!pending) return;
    this.pendingTrain = null;
    this.send({ type: 'cancel', job: pending.job });
    pending.reject(new Error(`round ${pending.round} was stopped`));
  }

  terminate(): void {
    this.worker.terminate();
    this.failAll(new Error('the training worker was stopped'));
  }

  private send(msg: PageToWorkerMessage, transfer: Transferable[] = []): void {
    this.worker.postMessage(msg, transfer);
  }

  private onMessage(msg: WorkerToPageMessage): void {
    switch (msg.type) {
      case 'ready': {
        const { type: _type, ...choice } = msg;
        this.pendingInit?.resolve(choice);
        this.pendingInit = null;
        return;
      }
      case 'measuring':
        this.pendingInit?.onMeasuring(msg);
        return;
      case 'progress':
        if (this.pendingTrain?.job === msg.job) this.pendingTrain.onProgress(msg);
        return;
      case 'result':
        if (this.pendingTrain?.job === msg.job) {
          this.pendingTrain.resolve(msg);
          this.pendingTrain = null;
        }
        return;
      case 'evaluation':
        if (this.pendingEvaluation?.job === msg.job) {
          this.pendingEvaluation.resolve(msg.evaluation);
          this.pendingEvaluation = null;
        }
        return;
      case 'predictions':
        this.pendingPredictions.get(msg.job)?.resolve(msg.labels);
        this.pendingPredictions.delete(msg.job);
        return;
      case 'masked':
        this.pendingMasks.get(msg.job)?.resolve(msg.masked);
        this.pendingMasks.delete(msg.job);
        return;
      case 'error':
        if (msg.job !== null && this.pendingMasks.has(msg.job)) {
          this.pendingMasks.get(msg.job)!.reject(new Error(msg.message));
          this.pendingMasks.delete(msg.job);
          return;
        }
        if (msg.job !== null && this.pendingPredictions.has(msg.job)) {
          this.pendingPredictions.get(msg.job)!.reject(new Error(msg.message));
          this.pendingPredictions.delete(msg.job);
        } else if (this.pendingEvaluation?.job === msg.job) {
          this.pendingEvaluation.reject(new Error(msg.message));
          this.pendingEvaluation = null;
        } else if (msg.job === null) {
          this.pendingInit?.reject(new Error(msg.message));
          this.pendingInit = null;
        } else if (this.pendingTrain?.job === msg.job) {
          this.pendingTrain.reject(new Error(msg.message));
          this.pendingTrain = null;
        }
        return;
      default:
        assertNever(msg);
    }
  }

  private failAll(err: Error): void {
    this.pendingInit?.reject(err);
    this.pendingTrain?.reject(err);
    this.pendingEvaluation?.reject(err);
    for (const pending of this.pendingMasks.values()) pending.reject(err);
    this.pendingMasks.clear();
    for (const pending of this.pendingPredictions.values()) pending.reject(err);
    this.pendingPredictions.clear();
    this.pendingInit = null;
    this.pendingTrain = null;
    this.pendingEvaluation = null;
  }
}
