import { RoundTrainer, type ImageDataset } from '@flock/fl-core';
import type { DeviceTrainer, PredictionJob, TrainingJob, TrainingOutcome, TrainingProgressView } from '@flock/fl-core/device';
import { corruptUpdate, type ByzantineMode } from './byzantine.ts';
import { drawDropout, type DeviceBehaviour } from './deviceBehaviour.ts';

/** Until a thread has timed a job, a dropout happens within this long of round:start. */
const UNTIMED_TRAINING_MS = 500;

/**
 * One device thread's tfjs trainer, shared by its virtual devices: one job at a time (they share the
 * thread's models), each timed without the wait in the queue, so a slow device can be made exactly
 * `slowFactor` times slower than its own training.
 */
export class ThreadTrainer {
  private readonly trainer = new RoundTrainer();
  private queue: Promise<unknown> = Promise.resolve();
  private lastMs: number | null = null;

  constructor(private readonly dataFor: (shardId: string) => ImageDataset) {}

  train(job: TrainingJob, onProgress: (p: TrainingProgressView) => void): Promise<{ outcome: TrainingOutcome; ms: number }> {
    const run = this.queue.then(async () => {
      const started = performance.now();
      const outcome = await this.trainer.train(job, this.dataFor(job.shardId), { onProgress });
      const ms = performance.now() - started;
      this.lastMs = ms;
      return { outcome, ms };
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** A confusion-matrix query's predictions, queued behind the thread's training jobs. */
  predict(job: PredictionJob): Promise<Int32Array> {
    const run = this.queue.then(() => this.trainer.predict(job));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The last job's training time: how long a device of this thread usually trains. */
  get typicalMs(): number {
    return this.lastMs ?? UNTIMED_TRAINING_MS;
  }

  dispose(): void {
    this.trainer.dispose();
  }
}

/** Marks the failure a simulated dropout makes the session see, so the pool does not report it as an error. */
export const DROPPED_OUT = 'dropped out (simulated)';

export interface DropoutHooks {
  /** Cuts the device's connection now; the device brings it back itself later. */
  dropOut(round: number, pauseMs: number): void;
}

/**
 * A virtual device's trainer. A slow device sleeps after its training until it took `slowFactor`
 * times as long. A device whose seeded draw says it drops out of the round disconnects at a random
 * point of the time it would have trained, and its training fails, so the session uploads nothing
 * for that round; in synchronous mode it also refuses that round if the coordinator sends it again.
 */
export class SimulatedDeviceTrainer implements DeviceTrainer {
  /** The last round this device dropped out of. */
  private droppedRound: number | null = null;
  /** Jobs so far for the latest round handed out (a device is handed rounds in increasing order). */
  private jobs = { round: 0, count: 0 };

  constructor(
    private readonly deviceId: string,
    private readonly thread: ThreadTrainer,
    private readonly behaviour: DeviceBehaviour,
    private readonly slow: boolean,
    private readonly hooks: DropoutHooks,
    /** A Byzantine device corrupts every update it sends this way; null: honest. */
    private readonly byzantine: ByzantineMode | null = null,
  ) {}

  async train(job: TrainingJob, onProgress: (p: TrainingProgressView) => void): Promise<TrainingOutcome> {
    const factor = this.slow ? this.behaviour.slowFactor : 1;
    if (this.behaviour.comeBack === 'after-round' && this.droppedRound === job.round) {
      throw new Error(`${DROPPED_OUT}: this device left round ${job.round} and does not rejoin it`);
    }
    this.jobs = job.round === this.jobs.round ? { round: job.round, count: this.jobs.count + 1 } : { round: job.round, count: 1 };
    const draw = drawDropout(this.behaviour.seed, this.deviceId, job.round, this.jobs.count - 1, this.behaviour.dropout);
    if (draw.drop) {
      await sleep(draw.at * this.thread.typicalMs * factor);
      this.droppedRound = job.round;
      this.hooks.dropOut(job.round, draw.pauseMs);
      throw new Error(`${DROPPED_OUT} of round ${job.round}`);
    }
    const { outcome, ms } = await this.thread.train(job, onProgress);
    if (factor > 1) await sleep((factor - 1) * ms);
    return this.byzantine ? { ...outcome, payload: corruptUpdate(outcome.payload, this.byzantine, job.codec) } : outcome;
  }

  predict(job: PredictionJob): Promise<Int32Array> {
    return this.thread.predict(job);
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
