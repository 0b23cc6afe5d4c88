import * as tf from '@tensorflow/tfjs';
import { uplinkCodec } from '../codec/codecSpec.ts';
import { applyModelDelta } from '../codec/downlinkDelta.ts';
import { ErrorFeedback } from '../codec/errorFeedback.ts';
import { MemoryResidualStore, residualKey, type ResidualStore } from '../codec/residualStore.ts';
import { decodeWeights, encodeWeights, type WeightsManifest } from '../codec/weightsCodec.ts';
import { dataShapeOf, type ImageDataset } from '../data/dataset.ts';
import { createRng, secureRandom, seedFromText } from '../data/random.ts';
import { ModelCache, type TopologyLoader } from '../models/modelCache.ts';
import { noTopology } from '../models/topologyFetch.ts';
import { manifestOf, writeWeights } from '../models/zoo.ts';
import { privatizeDelta } from '../strategy/privacy/localDp.ts';
import type { EvaluationJob, PredictionJob, TrainingJob, TrainingOutcome } from '../device/deviceAdapters.ts';
import type { RoundCodec } from '../protocol/device.ts';
import { evaluateModel, predictLabels, type Evaluation } from './evaluate.ts';
import { releaseResidentWgslTrainer } from './residentWgslTrainer.ts';
import { trainLocal, type TrainLocalOptions } from './trainLocal.ts';
import type { TrainingEngine } from './trainingEngine.ts';

/** A job as round:start describes it; the codec fields are optional so jobs from older sessions still run. */
export interface RoundTrainerJob extends TrainingJob {
  /** The federation the round belongs to: with the shard, it names whose error-feedback residual this is. */
  federationId?: string;
  /** The uplink codec the round's message names; absent: float32. */
  codec?: RoundCodec;
}

/**
 * One device's side of a round, the same in a tab's worker and in Node: load the global weights into
 * the zoo or uploaded model (built once per name), train on the local data (on Flock's WebGPU engine
 * where it can, else the tfjs loop: trainLocal), encode the delta with the round's codec. A top-k
 * device keeps what it did not send (error feedback) in its residual store, per federation and shard
 * (one trainer may serve many virtual devices): in memory unless given another.
 */
export class RoundTrainer {
  private readonly models = new ModelCache();
  private readonly residuals: ResidualStore;
  /** Per federation, the global models of its latest rounds as received: the base of a downlink delta. */
  private readonly held = new Map<string, Map<number, Float32Array>>();
  /** Local DP noise must be unpredictable: drawn from the platform's CSPRNG, never seeded. */
  private readonly noise = secureRandom();
  /** Where uploaded models' topologies come from (zoo models are built here). */
  private readonly topology: TopologyLoader;

  constructor(options: { residuals?: ResidualStore; topology?: TopologyLoader } = {}) {
    this.residuals = options.residuals ?? new MemoryResidualStore();
    this.topology = options.topology ?? noTopology;
  }

  async train(
    job: RoundTrainerJob,
    data: ImageDataset,
    options: Pick<TrainLocalOptions, 'progressEvery' | 'onProgress'> & { evaluateOn?: ImageDataset | null } = {},
  ): Promise<TrainingOutcome & { numTensors: number; engine: TrainingEngine }> {
    const model = await this.models.resolve(job.model, dataShapeOf(data), this.topology);
    const manifest = manifestOf(model);
    writeWeights(model, this.receivedModel(job, manifest));
    // Federated evaluation: the global model as received, on the device's held-out examples.
    const evaluation = options.evaluateOn ? await evaluateModel(model, options.evaluateOn) : undefined;
    const result = await trainLocal(model, data, job.config, {
      ...options,
      // Per device and round: devices sharing one shuffle order would correlate their updates.
      seed: seedFromText(`${job.shardId}/${job.round}`),
      proximalMu: job.instructions?.proximalMu,
    });
    // The strategy's instructions: clip to the round's norm, add local DP noise.
    const delta = privatizeDelta(result.delta, job.instructions ?? {}, this.noise);
    const payload = (await this.encode(job, manifest, delta)) as Uint8Array<ArrayBuffer>;
    return {
      payload,
      numExamples: result.numExamples,
      loss: result.loss,
      accuracy: result.accuracy,
      numTensors: tf.memory().numTensors,
      engine: result.engine,
      ...(evaluation ? { evaluation } : {}),
    };
  }

  /** Scores the final model (sent whole) on held-out examples: federated evaluation of the model no round carried. */
  async evaluate(job: EvaluationJob, heldOut: ImageDataset): Promise<Evaluation> {
    return evaluateModel(await this.wholeModel(job, heldOut), heldOut);
  }

  /** The label a model (sent whole) predicts for each of `job.examples`: a confusion-matrix query's predictions. */
  async predict(job: PredictionJob): Promise<Int32Array> {
    return predictLabels(await this.wholeModel(job, job.examples), job.examples);
  }

  private async wholeModel(job: Pick<EvaluationJob, 'model' | 'weights'>, data: ImageDataset): Promise<tf.LayersModel> {
    const model = await this.models.resolve(job.model, dataShapeOf(data), this.topology);
    const decoded = decodeWeights(job.weights, manifestOf(model));
    if (decoded.kind !== 'weights') throw new Error('the model to score came as a delta instead of the whole model');
    writeWeights(model, decoded.values);
    return model;
  }

  /** The round's global model: sent whole, or as a delta against a model this trainer kept (the last two per federation). */
  private receivedModel(job: RoundTrainerJob, manifest: WeightsManifest): Float32Array {
    const federation = job.federationId ?? '';
    const kept = this.held.get(federation) ?? new Map<number, Float32Array>();
    this.held.set(federation, kept);
    let values: Float32Array;
    if (job.modelBase) {
      const base = kept.get(job.modelBase.round);
      if (!base) throw new Error(`round:start sent a delta against the model of round ${job.modelBase.round}, which this device no longer holds`);
      values = applyModelDelta(base, job.weights, manifest, job.modelBase.precision);
    } else {
      const global = decodeWeights(job.weights, manifest);
      if (global.kind !== 'weights') throw new Error('round:start carried a delta without naming the model it applies to');
      values = global.values;
    }
    kept.set(job.round, values);
    for (const round of kept.keys()) if (round < job.round - 1) kept.delete(round);
    return values;
  }

  private async encode(job: RoundTrainerJob, manifest: WeightsManifest, delta: Float32Array): Promise<Uint8Array> {
    const codec = uplinkCodec(job.codec);
    // Stochastic rounding draws per device and round, reproducibly.
    const random = createRng(seedFromText(`${job.federationId ?? ''}/${job.shardId}/${job.round}/uplink`));
    if (codec.name !== 'topk') return encodeWeights(manifest, delta, 'delta', codec, { random });
    const key = residualKey(job.federationId, job.shardId);
    const kept = await this.residuals.load(key);
    // A residual of another size belongs to another model: start afresh.
    const feedback = new ErrorFeedback(delta.length, kept?.length === delta.length ? kept : undefined);
    const payload = feedback.encode(manifest, delta, codec, { random });
    await this.residuals.save(key, feedback.residual);
    return payload;
  }

  dispose(): void {
    // The resident engine trains one of these models: it goes with them.
    releaseResidentWgslTrainer();
    this.models.dispose();
  }
}
