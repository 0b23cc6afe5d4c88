import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { isUploadedModel, type ModelRef, type TopologyLoader } from '@flock/fl-core';
import type { EvaluateReply, EvaluateRequest, EvaluationWorkerSetup } from './evaluationMessages.ts';
import type { DemoDatasetKind } from './mnistSource.ts';
import type { GlobalEvaluation } from './modelEvaluator.ts';

/** How the round engine scores a global model. */
export interface Evaluator {
  evaluate(model: ModelRef, weights: Float32Array, examples: number, dataset?: DemoDatasetKind): Promise<GlobalEvaluation>;
  close(): Promise<void>;
}

/** A thread with nothing to score for this long ends, giving back tfjs and the test sets (~60 MB). */
const IDLE_MS = 60_000;

/**
 * Scores global models in a worker thread, so that tfjs (imported only there) neither blocks the event loop
 * nor sits in memory while nothing is scored. The thread starts on the first evaluation and ends when idle.
 */
export class EvaluationThread implements Evaluator {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, { resolve: (value: GlobalEvaluation) => void; reject: (err: Error) => void }>();
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly topology: TopologyLoader,
    private readonly setup: EvaluationWorkerSetup = {},
  ) {}

  async evaluate(model: ModelRef, weights: Float32Array, examples: number, dataset: DemoDatasetKind = 'mnist'): Promise<GlobalEvaluation> {
    const topology = isUploadedModel(model) ? await this.topology(model) : undefined;
    const id = this.nextId++;
    // A copy moves to the thread: the caller keeps its weights.
    const copy = new Float32Array(weights);
    const request: EvaluateRequest = { id, model, weights: copy, examples, dataset, ...(topology === undefined ? {} : { topology }) };
    const answer = new Promise<GlobalEvaluation>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    this.thread().postMessage(request, [copy.buffer]);
    return answer;
  }

  async close(): Promise<void> {
    this.failAll(new Error('the coordinator is shutting down'));
    await this.stop();
  }

  private thread(): Worker {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    if (this.worker) return this.worker;
    const compiled = new URL('./evaluationWorker.mjs', import.meta.url);
    const worker = new Worker(existsSync(compiled) ? compiled : new URL('./evaluationWorkerSource.mjs', import.meta.url), { workerData: this.setup });
    worker.on('message', (reply: EvaluateReply) => this.settle(reply));
    worker.on('error', (err) => this.failAll(new Error(`the evaluation thread failed: ${err.message}`, { cause: err })));
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = null;
      this.failAll(new Error('the evaluation thread ended before it answered'));
    });
    // An idle thread must not keep the process alive.
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private settle(reply: EvaluateReply): void {
    const waiter = this.pending.get(reply.id);
    if (!waiter) return;
    this.pending.delete(reply.id);
    if (reply.ok) waiter.resolve({ accuracy: reply.accuracy, loss: reply.loss });
    else waiter.reject(new Error(reply.reason));
    if (this.pending.size === 0) this.idleTimer = setTimeout(() => void this.stop(), IDLE_MS).unref();
  }

  private failAll(err: Error): void {
    for (const { reject } of this.pending.values()) reject(err);
    this.pending.clear();
  }

  private async stop(): Promise<void> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    const worker = this.worker;
    this.worker = null;
    await worker?.terminate();
  }
}
