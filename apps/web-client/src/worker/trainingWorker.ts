/// <reference lib="webworker" />
import '../strictCsp.ts';
import * as tf from '@tensorflow/tfjs';
import { decodeDataset, residentWgslMemory, RoundTrainer, type ImageDataset } from '@flock/fl-core';
import { maskVector } from '@flock/fl-core/secagg';
import { DeviceStore } from '../storage/deviceStore.ts';
import { chooseBackend } from './backend.ts';
import { pageOriginTopology } from './backendSpeed.ts';
import { ownTrainingData } from './ownTrainingData.ts';
import {
  assertNever,
  type BackendChoice,
  type ClientBackend,
  type EvaluateRequest,
  type MaskRequest,
  type PageToWorkerMessage,
  type PredictRequest,
  type QueuedRequest,
  type TrainRequest,
  type WorkerToPageMessage,
} from './workerMessages.ts';

/**
 * Trains off the UI thread. Requests are handled one at a time, in order. The model of each zoo
 * name or uploaded id is built once and reused (RoundTrainer); the shard is read from IndexedDB once per shard id.
 */
const scope = self as unknown as DedicatedWorkerGlobalScope;
// Top-k residuals live in IndexedDB: a reloaded tab goes on from what it had not sent.
const trainer = new RoundTrainer({
  residuals: { load: async (key) => (await openStore()).residual(key), save: async (key, r) => (await openStore()).putResidual(key, r) },
  topology: pageOriginTopology,
});
const shards = new Map<string, ImageDataset>();
let store: DeviceStore | null = null;
let ready: Promise<BackendChoice> | null = null;
let queue: Promise<void> = Promise.resolve();
/** The highest training job the page stopped: jobs are numbered in order, so every one up to it is void. */
let stoppedUpTo = 0;

/** Thrown from the progress callback of a stopped job: it unwinds the training loop, which frees its tensors. */
class TrainingStopped extends Error {}

function post(msg: WorkerToPageMessage, transfer: Transferable[] = []): void {
  scope.postMessage(msg, transfer);
}

scope.onmessage = (event: MessageEvent<PageToWorkerMessage>) => {
  const msg = event.data;
  // A stop is read while the job it stops still runs (the loop yields to the event loop), so it skips the queue.
  if (msg.type === 'cancel') stoppedUpTo = Math.max(stoppedUpTo, msg.job);
  else if (msg.type === 'mask') void mask(msg);
  else queue = queue.then(() => handle(msg));
};

async function handle(msg: QueuedRequest): Promise<void> {
  switch (msg.type) {
    case 'init': {
      try {
        const onMeasuring = (backend: ClientBackend, candidates: readonly ClientBackend[]) => post({ type: 'measuring', backend, candidates });
        ready ??= (async () => chooseBackend(msg.model ?? 'mnist-mlp', await openStore(), msg.backend, onMeasuring))();
        post({ type: 'ready', ...(await ready) });
      } catch (err) {
        post({ type: 'error', job: null, message: errorMessage(err) });
      }
      return;
    }
    case 'train': {
      try {
        if (msg.job > stoppedUpTo) await train(msg);
      } catch (err) {
        if (!(err instanceof TrainingStopped)) post({ type: 'error', job: msg.job, message: errorMessage(err) });
      }
      return;
    }
    case 'evaluate':
    case 'predict': {
      try {
        await (msg.type === 'evaluate' ? evaluate(msg) : predict(msg));
      } catch (err) {
        post({ type: 'error', job: msg.job, message: errorMessage(err) });
      }
      return;
    }
    default:
      assertNever(msg);
  }
}

async function evaluate(req: EvaluateRequest): Promise<void> {
  if (!ready) throw new Error('the worker was asked to evaluate before init');
  await ready;
  const { test } = await ownTrainingData(await openStore(), req.federationId, req.shardId, req.testFraction);
  const evaluation = test ? await trainer.evaluate({ ...req, weights: new Uint8Array(req.weights) }, test) : null;
  post({ type: 'evaluation', job: req.job, evaluation });
}

async function predict(req: PredictRequest): Promise<void> {
  if (!ready) throw new Error('the worker was asked to predict before init');
  await ready;
  const labels = (await trainer.predict({ ...req, weights: new Uint8Array(req.weights) })) as Int32Array<ArrayBuffer>;
  post({ type: 'predictions', job: req.job, labels }, [labels.buffer]);
}

async function train(req: TrainRequest): Promise<void> {
  if (!ready) throw new Error('the worker was asked to train before init');
  await ready;
  const { train: data, test } = req.ownData
    ? await ownTrainingData(await openStore(), req.federationId ?? '', req.shardId, req.ownData.testFraction)
    : { train: await loadShard(req.shardId), test: null };
  const result = await trainer.train({ ...req, weights: new Uint8Array(req.weights) }, data, {
    evaluateOn: test,
    progressEvery: 5,
    onProgress: (p) => {
      if (req.job <= stoppedUpTo) throw new TrainingStopped();
      post({ type: 'progress', job: req.job, round: req.round, ...p });
    },
  });
  const { payload } = result;
  // Transfer the encoded bytes; copy only if the view does not cover its whole buffer.
  const buffer = payload.byteLength === payload.buffer.byteLength ? payload.buffer : payload.slice().buffer;
  post(
    {
      type: 'result',
      job: req.job,
      round: req.round,
      payload: buffer,
      numExamples: result.numExamples,
      loss: result.loss,
      accuracy: result.accuracy,
      numTensors: result.numTensors,
      gpuBytes: gpuBytesInUse(),
      engine: result.engine,
      ...(result.evaluation ? { evaluation: result.evaluation } : {}),
    },
    [buffer],
  );
}

/** Runs between the training loop's yields: masking takes a fraction of a second and its stage has a deadline. */
async function mask(req: MaskRequest): Promise<void> {
  try {
    const masked = (await maskVector(req.work)) as Uint32Array<ArrayBuffer>;
    post({ type: 'masked', job: req.job, masked }, [masked.buffer]);
  } catch (err) {
    post({ type: 'error', job: req.job, message: errorMessage(err) });
  }
}

async function loadShard(shardId: string): Promise<ImageDataset> {
  const cached = shards.get(shardId);
  if (cached) return cached;
  const stored = await (await openStore()).getShard(shardId);
  if (!stored) throw new Error(`shard ${shardId} is not in this device's storage`);
  const data = decodeDataset(new Uint8Array(stored.bytes));
  shards.clear();
  shards.set(shardId, data);
  return data;
}

async function openStore(): Promise<DeviceStore> {
  store ??= await DeviceStore.open();
  return store;
}

/** tfjs's tensors on the GPU and Flock's engine's buffers (which tfjs does not see). */
function gpuBytesInUse(): number | null {
  const tensorBytes = (tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number }).numBytesInGPU;
  return tensorBytes === undefined ? null : tensorBytes + residentWgslMemory().bytes;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
