import type { ImageDataset } from '../data/dataset.ts';
import type { DeviceTrainer, EvaluationJob, PredictionJob, TrainingJob, TrainingOutcome, TrainingProgressView } from '../device/deviceAdapters.ts';
import type { LocalEvaluation } from '../protocol/device.ts';
import type { TopologyLoader } from '../models/modelCache.ts';
import { RoundTrainer } from '../training/roundTrainer.ts';

/**
 * Trains in this process on whatever backend is set: on Flock's WebGPU engine where Dawn runs tfjs's
 * webgpu backend and the engine has every layer of the model, else on the tfjs loop (RoundTrainer
 * chooses, and each outcome names the loop). Jobs run one at a time, so many virtual devices can
 * share one trainer (and its models) safely; the engine is kept for the last model and shard only.
 */
export class InProcessTrainer implements DeviceTrainer {
  private readonly trainer: RoundTrainer;
  private queue: Promise<unknown> = Promise.resolve();

  /**
   * `testFor`: held-out examples to evaluate each received global model on (federated evaluation);
   * `topology`: where uploaded models' topologies come from (uploadedTopologyFrom the coordinator).
   */
  constructor(
    private readonly dataFor: (shardId: string) => ImageDataset,
    private readonly testFor: (shardId: string) => ImageDataset | null = () => null,
    topology?: TopologyLoader,
  ) {
    this.trainer = new RoundTrainer(topology ? { topology } : {});
  }

  train(job: TrainingJob, onProgress: (p: TrainingProgressView) => void): Promise<TrainingOutcome> {
    const run = this.queue.then(() => this.trainer.train(job, this.dataFor(job.shardId), { onProgress, evaluateOn: this.testFor(job.shardId) }));
    this.queue = run.catch(() => undefined);
    return run;
  }

  evaluate(job: EvaluationJob): Promise<LocalEvaluation | null> {
    const heldOut = this.testFor(job.shardId);
    if (!heldOut) return Promise.resolve(null);
    const run = this.queue.then(() => this.trainer.evaluate(job, heldOut));
    this.queue = run.catch(() => undefined);
    return run;
  }

  predict(job: PredictionJob): Promise<Int32Array> {
    const run = this.queue.then(() => this.trainer.predict(job));
    this.queue = run.catch(() => undefined);
    return run;
  }

  dispose(): void {
    this.trainer.dispose();
  }
}
