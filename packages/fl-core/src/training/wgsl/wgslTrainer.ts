/// <reference types="@webgpu/types" />
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { deltaBetween } from '../../aggregation/vectorMath.ts';
import { exampleSize, type ImageDataset } from '../../data/dataset.ts';
import { createRng, shuffleInPlace } from '../../data/random.ts';
import { readWeights, writeWeights } from '../../models/zoo.ts';
import type { TrainingConfig } from '../../protocol/device.ts';
import { encodeSteps, STEP_BYTES, writeStep, type Dispatch } from './gpuProgram.ts';
import type { InputSource } from './kernelParts.ts';
import { compileOp, outputActivation, outputWidth, scratchValues } from './layerOps.ts';
import { planLayers, type LayerPlan } from './layerPlan.ts';
import { ADAM, compileLoss, compileOptimizer, compilePenaltySum, LOSS_THREADS, penaltyPartials, STATS_PARTIALS, type OptimizerKind } from './stepKernels.ts';

export interface WgslEpoch {
  epoch: number;
  epochs: number;
  /** Mean training loss of the epoch (FedProx's penalty included, as the tfjs loop reports it). */
  loss: number;
  /** Share of the epoch's examples the model answered right while training on them. */
  accuracy: number;
}

export interface WgslTrainOptions {
  /** Seeds the shuffle order of every epoch, as trainEpochs does (the same seed: the same batches). */
  seed?: number;
  order?: 'shuffled' | 'identity';
  /** FedProx: adds mu/2 ||w - w_entry||^2 to the loss. */
  proximalMu?: number;
  /** Steps recorded into one command buffer; the bench measures the best value. */
  stepsPerSubmit?: number;
  /** Called once per epoch, after its loss is read back. Throwing stops training (the model keeps its entry weights). */
  onEpoch?: (e: WgslEpoch) => void;
}

export interface WgslTrainingResult {
  /** Trained weights minus the weights the model held on entry (the model now holds the trained ones). */
  delta: Float32Array;
  numExamples: number;
  /** Mean training loss of the last epoch. */
  loss: number;
  /** Training accuracy of the last epoch. */
  accuracy: number;
}

export interface WgslMemory {
  buffers: number;
  bytes: number;
}

/** The GPU device of tfjs's webgpu backend, which the engine shares; null on any other backend. */
export function tfjsWebGpuDevice(): GPUDevice | null {
  return tf.getBackend() === 'webgpu' ? (tf.backend() as WebGPUBackend).device : null;
}

export const DEFAULT_STEPS_PER_SUBMIT = 64;
/** Submits allowed in flight before the loop waits for the oldest: a bounded queue, and turns for the event loop. */
const SUBMITS_IN_FLIGHT = 2;

/** Read at construction: GPUBufferUsage exists only once a WebGPU implementation is loaded (Dawn's globals, in Node). */
const storageUsage = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

/** What depends on the batch size: activation buffers and the step's recorded dispatches. */
interface BatchResources {
  batch: number;
  buffers: GPUBuffer[];
  /** Forward, loss and backward dispatches of one step, without the optimizer. */
  dispatches: Dispatch[];
}

/**
 * Flock's WGSL training engine for a model and a shard: every buffer, pipeline and bind group made
 * once (the parameters in one flat buffer, in the manifest's order), the dataset resident, each step
 * recorded as ten to twenty dispatches into one compute pass with many steps per submit, the loss read
 * once per epoch. It takes its weights from the tfjs model and writes the trained ones back, so
 * evaluation and the upload path stay on tfjs.
 */
export class WgslTrainer {
  private readonly owned: GPUBuffer[] = [];
  private readonly uniform: GPUBuffer;
  private readonly params: GPUBuffer;
  private readonly grads: GPUBuffer;
  private readonly anchor: GPUBuffer;
  private readonly first: GPUBuffer;
  private readonly second: GPUBuffer;
  private readonly penalty: GPUBuffer;
  private readonly x: GPUBuffer;
  private readonly labels: GPUBuffer;
  private readonly order: GPUBuffer;
  private readonly stats: GPUBuffer;
  private readonly statsBytes: number;
  private readonly statsStaging: GPUBuffer[];
  private readonly paramsStaging: GPUBuffer;
  private readonly optimizers = new Map<string, Dispatch>();
  private penaltySum: Dispatch | null = null;
  private readonly stepStride: number;
  private readonly maxStepsPerSubmit: number;
  private batchResources: BatchResources | null = null;

  private constructor(
    private readonly device: GPUDevice,
    private readonly model: tf.LayersModel,
    private readonly plan: LayerPlan,
    private readonly data: ImageDataset,
    maxStepsPerSubmit: number,
  ) {
    const P = plan.parameterCount;
    this.stepStride = Math.max(STEP_BYTES, device.limits.minUniformBufferOffsetAlignment);
    this.maxStepsPerSubmit = maxStepsPerSubmit;
    this.uniform = this.buffer('steps', maxStepsPerSubmit * this.stepStride, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
    this.params = this.buffer('parameters', P * 4, storageUsage());
    this.grads = this.buffer('gradients', P * 4, storageUsage());
    this.anchor = this.buffer('parameters on entry', P * 4, storageUsage());
    this.first = this.buffer('first moments', P * 4, storageUsage());
    this.second = this.buffer('second moments', P * 4, storageUsage());
    this.x = this.buffer('examples', data.count * plan.inputWidth * 4, storageUsage());
    this.labels = this.buffer('labels', data.count * 4, storageUsage());
    this.order = this.buffer('epoch order', data.count * 4, storageUsage());
    this.penalty = this.buffer('proximal penalty', P * 4, storageUsage());
    this.statsBytes = (STATS_PARTIALS + penaltyPartials(P)) * 4;
    this.stats = this.buffer('epoch stats', this.statsBytes, storageUsage());
    // Two, so that reading one epoch's stats never waits on the next epoch's copy.
    this.statsStaging = [0, 1].map((i) => this.buffer(`epoch stats readback ${i}`, this.statsBytes, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST));
    this.paramsStaging = this.buffer('parameters readback', P * 4, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
    const examples = examplesAsFloats(data);
    device.queue.writeBuffer(this.x, 0, examples.buffer, examples.byteOffset, examples.byteLength);
    device.queue.writeBuffer(this.labels, 0, Uint32Array.from(data.labels));
  }

  /**
   * The engine for `model` on `data`, on `device` (tfjsWebGpuDevice() to share tfjs's). Throws, saying
   * why, for a model planLayers refuses or that does not fit the data; check wgslSupport(model) first.
   */
  static async create(device: GPUDevice, model: tf.LayersModel, data: ImageDataset, options: { maxStepsPerSubmit?: number } = {}): Promise<WgslTrainer> {
    const planned = planLayers(model);
    if (!planned.ok) throw new Error(planned.reason);
    const { plan } = planned;
    if (plan.inputWidth !== exampleSize(data) || plan.classes !== data.numClasses) {
      throw new Error(
        `the model takes ${plan.inputWidth} values and gives ${plan.classes} classes; the data has ${exampleSize(data)} values and ${data.numClasses} classes`,
      );
    }
    device.pushErrorScope('validation');
    const trainer = new WgslTrainer(device, model, plan, data, options.maxStepsPerSubmit ?? DEFAULT_STEPS_PER_SUBMIT);
    const error = await device.popErrorScope();
    if (error) {
      trainer.dispose();
      throw new Error(`the WGSL engine could not set up its buffers: ${error.message}`);
    }
    return trainer;
  }

  /** Trains the tfjs model's current weights for `config.epochs` epochs and writes the trained weights back into it. */
  async train(config: TrainingConfig, options: WgslTrainOptions = {}): Promise<WgslTrainingResult> {
    const { device, data } = this;
    const count = data.count;
    const batch = config.batchSize;
    const stepsPerSubmit = Math.max(1, Math.min(Math.floor(options.stepsPerSubmit ?? this.maxStepsPerSubmit), this.maxStepsPerSubmit));
    const mu = options.proximalMu ?? 0;
    const kind: OptimizerKind = config.optimizer ?? 'sgd';
    device.pushErrorScope('validation');
    const step = [...this.stepDispatches(batch), this.optimizer(kind, mu > 0)];
    const epochEnd = mu > 0 ? [this.penaltyDispatch()] : [];
    const setupError = await device.popErrorScope();
    if (setupError) throw new Error(`the WGSL engine could not build its kernels: ${setupError.message}`);

    const initial = await readWeights(this.model);
    device.queue.writeBuffer(this.params, 0, initial.buffer, initial.byteOffset, initial.byteLength);
    const prepare = device.createCommandEncoder();
    prepare.copyBufferToBuffer(this.params, 0, this.anchor, 0, initial.byteLength);
    // Optimizer state starts afresh every round.
    prepare.clearBuffer(this.first);
    prepare.clearBuffer(this.second);
    device.queue.submit([prepare.finish()]);

    const stepsPerEpoch = Math.ceil(count / batch);
    const order = new Uint32Array(count).map((_, i) => i);
    const rng = createRng(options.seed ?? 0);
    const dropoutSeed = (options.seed ?? 0) >>> 0;
    const slots = new DataView(new ArrayBuffer(stepsPerSubmit * this.stepStride));
    const inFlight: Promise<undefined>[] = [];
    const reads: Promise<WgslEpoch>[] = [];
    let last: WgslEpoch = { epoch: 0, epochs: config.epochs, loss: NaN, accuracy: NaN };
    let t = 0;
    // beta^t as tf.train.adam keeps it, a float32 product updated every step: Adam's trajectory follows
    // even this rounding (1 - 0.999 in float32 is 1.3e-5 off), and the engine follows tfjs's.
    const accumulated = [Math.fround(ADAM.beta1), Math.fround(ADAM.beta2)];
    try {
      for (let epoch = 1; epoch <= config.epochs; epoch++) {
        if (options.order !== 'identity') shuffleInPlace(order, rng);
        device.queue.writeBuffer(this.order, 0, order);
        // The staging buffer this epoch copies into was last read two epochs ago: wait for that read.
        if (reads.length >= 2) last = await this.report(reads.shift()!, options);
        for (let first = 0; first < stepsPerEpoch; first += stepsPerSubmit) {
          const steps = Math.min(stepsPerSubmit, stepsPerEpoch - first);
          for (let s = 0; s < steps; s++) {
            t++;
            const offset = (first + s) * batch;
            writeStep(slots, s * this.stepStride, {
              offset,
              rows: Math.min(batch, count - offset),
              step: t,
              seed: dropoutSeed,
              lr: config.learningRate,
              mu,
              c1: 1 / Math.fround(1 - accumulated[0]!),
              c2: 1 / Math.fround(1 - accumulated[1]!),
            });
            accumulated[0] = Math.fround(accumulated[0]! * Math.fround(ADAM.beta1));
            accumulated[1] = Math.fround(accumulated[1]! * Math.fround(ADAM.beta2));
          }
          device.queue.writeBuffer(this.uniform, 0, slots.buffer, 0, steps * this.stepStride);
          const encoder = device.createCommandEncoder();
          const endsEpoch = first + steps >= stepsPerEpoch;
          if (first === 0) {
            encoder.clearBuffer(this.stats);
            if (mu > 0) encoder.clearBuffer(this.penalty);
          }
          const pass = encoder.beginComputePass();
          encodeSteps(pass, step, steps, this.stepStride);
          if (endsEpoch) encodeSteps(pass, epochEnd, 1, this.stepStride);
          pass.end();
          const staging = this.statsStaging[epoch % 2]!;
          if (endsEpoch) encoder.copyBufferToBuffer(this.stats, 0, staging, 0, this.statsBytes);
          device.queue.submit([encoder.finish()]);
          if (endsEpoch) reads.push(this.readStats(staging, epoch, config.epochs, mu));
          inFlight.push(device.queue.onSubmittedWorkDone());
          if (inFlight.length > SUBMITS_IN_FLIGHT) await inFlight.shift();
        }
      }
      while (reads.length > 0) last = await this.report(reads.shift()!, options);
    } finally {
      // A stopped training leaves no buffer mapped.
      await Promise.allSettled(reads);
    }
    const trained = await this.readParameters();
    writeWeights(this.model, trained);
    return { delta: deltaBetween(initial, trained), numExamples: count, loss: last.loss, accuracy: last.accuracy };
  }

  /** The GPU buffers the engine holds now: made once per model and shard (activations again when the batch size changes), freed by dispose. */
  gpuMemory(): WgslMemory {
    return { buffers: this.owned.length, bytes: this.owned.reduce((sum, b) => sum + b.size, 0) };
  }

  /** Frees every GPU buffer the engine made (pipelines and bind groups go with them). */
  dispose(): void {
    for (const b of this.owned) b.destroy();
    this.owned.length = 0;
    this.batchResources = null;
    this.optimizers.clear();
    this.penaltySum = null;
  }

  private async report(read: Promise<WgslEpoch>, options: WgslTrainOptions): Promise<WgslEpoch> {
    const epoch = await read;
    options.onEpoch?.(epoch);
    return epoch;
  }

  private async readStats(staging: GPUBuffer, epoch: number, epochs: number, mu: number): Promise<WgslEpoch> {
    await staging.mapAsync(GPUMapMode.READ, 0, this.statsBytes);
    const stats = new Float32Array(staging.getMappedRange(0, this.statsBytes).slice(0));
    staging.unmap();
    let loss = 0;
    let correct = 0;
    for (let i = 0; i < LOSS_THREADS; i++) {
      loss += stats[2 * i]!;
      correct += stats[2 * i + 1]!;
    }
    let penalty = 0;
    if (mu > 0) for (let i = STATS_PARTIALS; i < stats.length; i++) penalty += stats[i]!;
    const count = this.data.count;
    return { epoch, epochs, loss: (loss + (mu / 2) * penalty) / count, accuracy: correct / count };
  }

  private async readParameters(): Promise<Float32Array> {
    const bytes = this.plan.parameterCount * 4;
    const encoder = this.device.createCommandEncoder();
    encoder.copyBufferToBuffer(this.params, 0, this.paramsStaging, 0, bytes);
    this.device.queue.submit([encoder.finish()]);
    await this.paramsStaging.mapAsync(GPUMapMode.READ, 0, bytes);
    const values = new Float32Array(this.paramsStaging.getMappedRange(0, bytes).slice(0));
    this.paramsStaging.unmap();
    return values;
  }

  private buffer(label: string, size: number, usage: GPUBufferUsageFlags): GPUBuffer {
    // WebGPU sizes storage and copies in multiples of 4 bytes.
    const b = this.device.createBuffer({ label, size: Math.max(4, Math.ceil(size / 4) * 4), usage });
    this.owned.push(b);
    return b;
  }

  private optimizer(kind: OptimizerKind, proximal: boolean): Dispatch {
    const key = `${kind}/${proximal}`;
    let dispatch = this.optimizers.get(key);
    if (!dispatch) {
      const buffers = { params: this.params, grads: this.grads, anchor: this.anchor, first: this.first, second: this.second, penalty: this.penalty };
      dispatch = compileOptimizer(this.device, this.uniform, kind, proximal, this.plan.parameterCount, buffers);
      this.optimizers.set(key, dispatch);
    }
    return dispatch;
  }

  private penaltyDispatch(): Dispatch {
    this.penaltySum ??= compilePenaltySum(this.device, this.uniform, this.plan.parameterCount, this.penalty, this.stats);
    return this.penaltySum;
  }

  /** The step's forward, loss and backward dispatches for `batch` rows, rebuilt only when the batch size changes. */
  private stepDispatches(batch: number): Dispatch[] {
    if (this.batchResources?.batch === batch) return this.batchResources.dispatches;
    if (this.batchResources) {
      for (const b of this.batchResources.buffers) {
        b.destroy();
        this.owned.splice(this.owned.indexOf(b), 1);
      }
    }
    const { ops } = this.plan;
    const outputs = ops.map((op, i) => this.buffer(`op ${i} output`, batch * outputWidth(op) * 4, storageUsage()));
    const outputGrads = ops.map((op, i) => this.buffer(`op ${i} output gradient`, batch * outputWidth(op) * 4, storageUsage()));
    const scratches = ops.map((op, i) => (scratchValues(op, batch) > 0 ? this.buffer(`op ${i} scratch`, scratchValues(op, batch) * 4, storageUsage()) : null));
    const compiled = ops.map((op, i) => {
      const input: InputSource =
        i === 0 ? { kind: 'data', x: this.x, order: this.order } : { kind: 'activations', x: outputs[i - 1]!, activation: outputActivation(ops[i - 1]!) };
      const buffers = {
        input,
        output: outputs[i]!,
        outputGrad: outputGrads[i]!,
        inputGrad: i === 0 ? null : outputGrads[i - 1]!,
        scratch: scratches[i] ?? null,
        params: this.params,
        grads: this.grads,
      };
      return compileOp(this.device, this.uniform, op, i, buffers, batch);
    });
    const loss = compileLoss(this.device, this.uniform, this.plan.classes, {
      order: this.order,
      labels: this.labels,
      logits: outputs.at(-1)!,
      logitsGrad: outputGrads.at(-1)!,
      stats: this.stats,
    });
    const dispatches = [...compiled.flatMap((c) => c.forward), loss, ...compiled.reverse().flatMap((c) => c.backward)];
    this.batchResources = { batch, buffers: [...outputs, ...outputGrads, ...scratches.filter((b) => b !== null)], dispatches };
    return dispatches;
  }
}

/** The examples as the tfjs loop sees them: features as they are, pixels times float32(1/255) (datasetToTensors's cast and multiply). */
function examplesAsFloats(data: ImageDataset): Float32Array {
  if (data.features) return data.features;
  const scale = Math.fround(1 / 255);
  return Float32Array.from(data.pixels, (p) => p * scale);
}
