import * as tf from '@tensorflow/tfjs';

/** The activations the engine's dense kernels fuse (a final softmax or sigmoid is the loss's own). */
export type Activation = 'relu' | 'sigmoid' | 'tanh' | 'linear';

/**
 * How the last Dense layer's pre-activations are scored: a linear or softmax output by softmax
 * cross-entropy (the zoo's logits, as Flock's tfjs loop scores them); a sigmoid output by binary
 * cross-entropy over the one-hot labels, averaged over the classes.
 */
export type LossKind = 'softmaxCrossEntropy' | 'sigmoidCrossEntropy';

/** A Dense layer: `kernelOffset` and `biasOffset` index the flat parameter vector (the manifest's order). */
export interface DenseOp {
  kind: 'dense';
  inputs: number;
  units: number;
  activation: Activation;
  kernelOffset: number;
  biasOffset: number | null;
}

/** Inverted dropout over `width` values per example (its mask drawn on the GPU, so not tfjs's draws). */
export interface DropoutOp {
  kind: 'dropout';
  width: number;
  rate: number;
}

/** One step of the forward pass; Conv2D and MaxPool2D join this union with their own kernels. */
export type LayerOp = DenseOp | DropoutOp;

export interface LayerPlan {
  ops: LayerOp[];
  loss: LossKind;
  /** Values per example the first op reads (height x width x channels). */
  inputWidth: number;
  classes: number;
  parameterCount: number;
}

export type PlanResult = { ok: true; plan: LayerPlan } | { ok: false; reason: string };

interface DenseLayerFields {
  units: number;
  kernel: tf.LayerVariable;
  bias?: tf.LayerVariable | null;
  activation: { getClassName(): string };
}

const FUSED: ReadonlySet<string> = new Set(['relu', 'sigmoid', 'tanh', 'linear']);

const size = (shape: readonly (number | null)[]) => shape.reduce<number>((n, d) => n * (d ?? 1), 1);

/** The layer list the WGSL engine trains, or why it cannot (a sentence a person reads on the device page). */
export function planLayers(model: tf.LayersModel): PlanResult {
  if (!(model instanceof tf.Sequential)) return { ok: false, reason: 'functional (non-sequential) models train on the tfjs loop for now' };
  if (model.weights.length !== model.trainableWeights.length) return { ok: false, reason: 'models with frozen weights train on the tfjs loop for now' };
  const inputShape = model.inputs[0]!.shape;
  const ops: LayerOp[] = [];
  let width = size(inputShape.slice(1));
  let offset = 0;
  let finalActivation = 'linear';
  for (const layer of model.layers) {
    const name = layer.getClassName();
    const inputRank = (layer.input as tf.SymbolicTensor).shape.length;
    switch (name) {
      case 'InputLayer':
      case 'Flatten':
        // Examples are flat rows on the GPU: flattening NHWC changes nothing in memory.
        break;
      case 'Dropout': {
        const { rate, noiseShape } = layer as unknown as { rate: number; noiseShape: unknown };
        if (noiseShape) return { ok: false, reason: 'Dropout with a noise shape trains on the tfjs loop for now' };
        if (rate > 0) ops.push({ kind: 'dropout', width, rate });
        break;
      }
      case 'Dense': {
        if (inputRank !== 2)
          return { ok: false, reason: `Dense layer "${layer.name}" takes a rank-${inputRank} input; add a Flatten before it to train with the WGSL engine` };
        const dense = layer as unknown as DenseLayerFields;
        const activation = dense.activation.getClassName();
        if (!FUSED.has(finalActivation)) {
          return { ok: false, reason: `a ${finalActivation} activation inside the model (before Dense layer "${layer.name}") trains on the tfjs loop for now` };
        }
        const kernelOffset = offset;
        offset += size(dense.kernel.shape);
        const biasOffset = dense.bias ? offset : null;
        if (dense.bias) offset += size(dense.bias.shape);
        ops.push({
          kind: 'dense',
          inputs: width,
          units: dense.units,
          activation: FUSED.has(activation) ? (activation as Activation) : 'linear',
          kernelOffset,
          biasOffset,
        });
        finalActivation = activation;
        width = dense.units;
        break;
      }
      default:
        return { ok: false, reason: `${name} layers train on the tfjs loop for now` };
    }
  }
  const last = ops.at(-1);
  if (last?.kind !== 'dense') return { ok: false, reason: 'the WGSL engine trains models whose last layer is Dense; this one trains on the tfjs loop' };
  if (offset !== model.countParams()) return { ok: false, reason: 'the model holds weights outside its Dense layers; it trains on the tfjs loop' };
  let loss: LossKind;
  switch (finalActivation) {
    case 'linear':
    case 'softmax':
      loss = 'softmaxCrossEntropy';
      break;
    case 'sigmoid':
      loss = 'sigmoidCrossEntropy';
      break;
    default:
      return {
        ok: false,
        reason: `a last Dense layer with a ${finalActivation} output trains on the tfjs loop for now (the engine scores logits, softmax or sigmoid outputs)`,
      };
  }
  // The loss kernel applies the output's softmax or sigmoid itself.
  last.activation = 'linear';
  return { ok: true, plan: { ops, loss, inputWidth: size(inputShape.slice(1)), classes: last.units, parameterCount: offset } };
}

/** Whether the WGSL engine can train `model`: ok, or the sentence saying which layer keeps it on the tfjs loop. */
export function wgslSupport(model: tf.LayersModel): { ok: true } | { ok: false; reason: string } {
  const planned = planLayers(model);
  return planned.ok ? { ok: true } : planned;
}
