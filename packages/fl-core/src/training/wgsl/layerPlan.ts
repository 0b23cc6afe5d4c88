import * as tf from '@tensorflow/tfjs';

/** The activations the engine's dense and conv kernels fuse. */
export type Activation = 'relu' | 'sigmoid' | 'tanh' | 'linear';

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

/** An example's activations: height x width x channels, stored NHWC as tfjs keeps them. */
export interface ImageShape {
  height: number;
  width: number;
  channels: number;
}

/**
 * A stride-1 Conv2D; its kernel is HWIO at `kernelOffset` (tfjs's layout), the output's channels are
 * the filters. `padTop` and `padLeft` are 0 for valid padding, tfjs's split of the window for same.
 */
export interface Conv2DOp {
  kind: 'conv2d';
  input: ImageShape;
  output: ImageShape;
  kernelHeight: number;
  kernelWidth: number;
  padTop: number;
  padLeft: number;
  activation: Activation;
  kernelOffset: number;
  biasOffset: number | null;
}

/** MaxPooling2D without padding: windows of pool x pool values every stride values; channels stay. */
export interface MaxPoolOp {
  kind: 'maxPool';
  input: ImageShape;
  output: ImageShape;
  poolHeight: number;
  poolWidth: number;
  strideHeight: number;
  strideWidth: number;
}

/** One step of the forward pass. */
export type LayerOp = DenseOp | DropoutOp | Conv2DOp | MaxPoolOp;

export interface LayerPlan {
  ops: LayerOp[];
  /** Values per example the first op reads (height x width x channels). */
  inputWidth: number;
  classes: number;
  parameterCount: number;
}

export type PlanResult = { ok: true; plan: LayerPlan } | { ok: false; reason: string };

interface WeightedLayerFields {
  kernel: tf.LayerVariable;
  bias?: tf.LayerVariable | null;
  activation: { getClassName(): string };
}

interface DenseLayerFields extends WeightedLayerFields {
  units: number;
}

/** tfjs-layers' Conv2D fields (protected in its types), normalized to one entry per spatial axis. */
interface Conv2DLayerFields extends WeightedLayerFields {
  kernelSize: number[];
  strides: number[];
  dilationRate: number[];
  padding: string;
  dataFormat: string;
}

interface Pooling2DLayerFields {
  poolSize: number[];
  strides: number[];
  padding: string;
  dataFormat: string;
}

const FUSED: ReadonlySet<string> = new Set(['relu', 'sigmoid', 'tanh', 'linear']);

const size = (shape: readonly (number | null)[]) => shape.reduce<number>((n, d) => n * (d ?? 1), 1);

/** An NHWC symbolic shape [batch, height, width, channels] without its batch. */
const imageShape = (shape: readonly (number | null)[]): ImageShape => ({ height: shape[1]!, width: shape[2]!, channels: shape[3]! });

const fused = (activation: string): Activation => (FUSED.has(activation) ? (activation as Activation) : 'linear');

/** Why a Conv2D layer cannot run on the engine's kernels, or null when it can. */
function convRefusal(name: string, conv: Conv2DLayerFields): string | null {
  if (conv.dataFormat !== 'channelsLast') return `Conv2D layer "${name}" takes channels first; it trains on the tfjs loop for now`;
  if (conv.strides.some((s) => s !== 1))
    return `Conv2D layer "${name}" has strides ${conv.strides.join('x')}; the WGSL engine runs stride 1, so it trains on the tfjs loop`;
  if (conv.dilationRate.some((d) => d !== 1)) return `Conv2D layer "${name}" is dilated; it trains on the tfjs loop for now`;
  if (conv.padding !== 'valid' && conv.padding !== 'same') return `Conv2D layer "${name}" has ${conv.padding} padding; it trains on the tfjs loop for now`;
  return null;
}

/** Why a MaxPooling2D layer cannot run on the engine's kernels, or null when it can. */
function poolRefusal(name: string, pool: Pooling2DLayerFields): string | null {
  if (pool.dataFormat !== 'channelsLast') return `MaxPooling2D layer "${name}" takes channels first; it trains on the tfjs loop for now`;
  if (pool.padding !== 'valid')
    return `MaxPooling2D layer "${name}" has ${pool.padding} padding; the WGSL engine pools without padding, so it trains on the tfjs loop`;
  return null;
}

/** The kernels are compiled for one image size: a layer on images of any size stays on the tfjs loop. */
function unsizedRefusal(name: string, input: readonly (number | null)[], output: readonly (number | null)[]): string | null {
  if ([...input.slice(1), ...output.slice(1)].every((d) => d !== null)) return null;
  return `layer "${name}" takes images of any size; the WGSL engine needs their height and width, so it trains on the tfjs loop`;
}

/** The layer list the WGSL engine trains, or why it cannot (a sentence a person reads on the device page). */
export function planLayers(model: tf.LayersModel): PlanResult {
  if (!(model instanceof tf.Sequential)) return { ok: false, reason: 'functional (non-sequential) models train on the tfjs loop for now' };
  if (model.weights.length !== model.trainableWeights.length) return { ok: false, reason: 'models with frozen weights train on the tfjs loop for now' };
  const inputShape = model.inputs[0]!.shape;
  const ops: LayerOp[] = [];
  let width = size(inputShape.slice(1));
  let offset = 0;
  // The activation of the last weighted layer: only those the kernels fuse may feed another layer.
  let finalActivation = 'linear';
  let finalLayer = '';
  /** Takes a weighted layer's parameters from the flat vector, in the manifest's order. */
  const take = (layer: WeightedLayerFields) => {
    const kernelOffset = offset;
    offset += size(layer.kernel.shape);
    const biasOffset = layer.bias ? offset : null;
    if (layer.bias) offset += size(layer.bias.shape);
    return { kernelOffset, biasOffset };
  };
  for (const layer of model.layers) {
    const name = layer.getClassName();
    if (name === 'InputLayer' || name === 'Flatten') {
      // Examples are flat rows on the GPU: flattening NHWC changes nothing in memory.
      continue;
    }
    if (!FUSED.has(finalActivation)) {
      return { ok: false, reason: `a ${finalActivation} activation inside the model (after layer "${finalLayer}") trains on the tfjs loop for now` };
    }
    const input = (layer.input as tf.SymbolicTensor).shape;
    const output = (layer.output as tf.SymbolicTensor).shape;
    switch (name) {
      case 'Dropout': {
        const { rate, noiseShape } = layer as unknown as { rate: number; noiseShape: unknown };
        if (noiseShape) return { ok: false, reason: 'Dropout with a noise shape trains on the tfjs loop for now' };
        if (rate > 0) ops.push({ kind: 'dropout', width, rate });
        break;
      }
      case 'Dense': {
        if (input.length !== 2)
          return { ok: false, reason: `Dense layer "${layer.name}" takes a rank-${input.length} input; add a Flatten before it to train with the WGSL engine` };
        const dense = layer as unknown as DenseLayerFields;
        finalActivation = dense.activation.getClassName();
        ops.push({ kind: 'dense', inputs: width, units: dense.units, activation: fused(finalActivation), ...take(dense) });
        finalLayer = layer.name;
        width = dense.units;
        break;
      }
      case 'Conv2D': {
        const conv = layer as unknown as Conv2DLayerFields;
        const refusal = convRefusal(layer.name, conv) ?? unsizedRefusal(layer.name, input, output);
        if (refusal) return { ok: false, reason: refusal };
        const [kernelHeight, kernelWidth] = conv.kernelSize as [number, number];
        const same = conv.padding === 'same';
        finalActivation = conv.activation.getClassName();
        ops.push({
          kind: 'conv2d',
          input: imageShape(input),
          output: imageShape(output),
          kernelHeight,
          kernelWidth,
          // tfjs puts the smaller half of a same window's padding before the image.
          padTop: same ? Math.floor((kernelHeight - 1) / 2) : 0,
          padLeft: same ? Math.floor((kernelWidth - 1) / 2) : 0,
          activation: fused(finalActivation),
          ...take(conv),
        });
        finalLayer = layer.name;
        width = size(output.slice(1));
        break;
      }
      case 'MaxPooling2D': {
        const pool = layer as unknown as Pooling2DLayerFields;
        const refusal = poolRefusal(layer.name, pool) ?? unsizedRefusal(layer.name, input, output);
        if (refusal) return { ok: false, reason: refusal };
        const [poolHeight, poolWidth] = pool.poolSize as [number, number];
        const [strideHeight, strideWidth] = pool.strides as [number, number];
        ops.push({ kind: 'maxPool', input: imageShape(input), output: imageShape(output), poolHeight, poolWidth, strideHeight, strideWidth });
        width = size(output.slice(1));
        break;
      }
      default:
        return { ok: false, reason: `${name} layers train on the tfjs loop for now` };
    }
  }
  const last = ops.at(-1);
  if (last?.kind !== 'dense') return { ok: false, reason: 'the WGSL engine trains models whose last layer is Dense; this one trains on the tfjs loop' };
  if (offset !== model.countParams()) return { ok: false, reason: 'the model holds weights outside its Dense and Conv2D layers; it trains on the tfjs loop' };
  // Flock's tfjs loop scores the model's output as logits with softmax cross-entropy; the engine must train the same
  // objective, or devices on the two loops would pull one federation's model different ways.
  if (finalActivation !== 'linear')
    return {
      ok: false,
      reason: `a last Dense layer with a ${finalActivation} output trains on the tfjs loop (Flock scores a model's output as logits: leave the last layer linear)`,
    };
  return { ok: true, plan: { ops, inputWidth: size(inputShape.slice(1)), classes: last.units, parameterCount: offset } };
}

/** Whether the WGSL engine can train `model`: ok, or the sentence saying which layer keeps it on the tfjs loop. */
export function wgslSupport(model: tf.LayersModel): { ok: true } | { ok: false; reason: string } {
  const planned = planLayers(model);
  return planned.ok ? { ok: true } : planned;
}
