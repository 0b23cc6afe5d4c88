import type { ModelRef } from '@flock/fl-core';
import type { NodeBackend } from '@flock/fl-core/node';
import type { DemoDatasetKind } from './mnistSource.ts';

/** What the evaluation thread starts with (its workerData). */
export interface EvaluationWorkerSetup {
  /** tfjs backend to score on; the cpu kernels when absent (the coordinator never trains). */
  backend?: NodeBackend;
  /** Let tfjs and Dawn print their notes (flockctl --verbose). */
  verbose?: boolean;
}

export interface EvaluateRequest {
  id: number;
  model: ModelRef;
  /** An uploaded model's stored topology (the thread has no store); absent for zoo models. */
  topology?: unknown;
  weights: Float32Array;
  examples: number;
  dataset: DemoDatasetKind;
}

export type EvaluateReply = { id: number; ok: true; accuracy: number; loss: number } | { id: number; ok: false; reason: string };
