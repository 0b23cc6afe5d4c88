import type { ModelRef } from '@flock/fl-core';
import {
  assertNever,
  type BackendChoice,
  type ClientBackend,
  type PageToWorkerMessage,
  type ProgressEvent,
  type ResultEvent,
  type TrainRequest,
  type WorkerToPageMessage,
} from '../worker/messages.ts';

interface Pending<T> {
  resolve: (value: T) => void;
  reject: (err: Error) => void;
}

/** The page's side of the training worker: one init, then one training request at a time. */
export class TrainingClient {
  private readonly worker: Worker;
  private pendingInit: Pending<BackendChoice> | null = null;
  private pendingTrain: (Pending<ResultEvent> & { round: number; onProgress: (p: ProgressEvent) => void }) | null =
    null;

  constructor() {
    this.worker = new Worker(new URL('../worker/trainingWorker.ts', import.meta.url), { type: 'module' });
    this.worker.onmessage = (event: MessageEvent<WorkerToPageMessage>) => this.onMessage(event.data);
    this.worker.onerror = (event) => this.failAll(new Error(`training worker failed: ${event.message || 'could not load'}`));
  }

  /** Starts the worker's backend: `backend` forced, else the fastest for `model` (the federation's). */
  init(backend?: ClientBackend, model?: ModelRef): Promise<BackendChoice> {
    if (this.pendingInit) return Promise.reject(new Error('the worker is already starting'));
    return new Promise((resolve, reject) => {
      this.pendingInit = { resolve, reject };
      this.send({ type: 'init', ...(backend ? { backend } : {}), ...(model ? { model } : {}) });
    });
  }

  train(request: Omit<TrainRequest, 'type'>, onProgress: (p: ProgressEvent) => void): Promise<ResultEvent> {
    if (this.pendingTrain) return Promise.reject(new Error(`round ${this.pendingTrain.round} is still training`));
    return new Promise((resolve, reject) => {
      this.pendingTrain = { resolve, reject, round: request.round, onProgress };
      this.send({ type: 'train', ...request }, [request.weights]);
    });
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
      case 'progress':
        if (this.pendingTrain?.round === msg.round) this.pendingTrain.onProgress(msg);
        return;
      case 'result':
        if (this.pendingTrain?.round === msg.round) {
          this.pendingTrain.resolve(msg);
          this.pendingTrain = null;
        }
        return;
      case 'error':
        if (msg.round === null) {
          this.pendingInit?.reject(new Error(msg.message));
          this.pendingInit = null;
        } else if (this.pendingTrain?.round === msg.round) {
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
    this.pendingInit = null;
    this.pendingTrain = null;
  }
}
