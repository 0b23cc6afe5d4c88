import * as tf from '@tensorflow/tfjs';
import { cpuConv2d } from './cpuConv2d.ts';
import { cpuDense } from './cpuKernels.ts';
import { fusedDense } from './fusedDense.ts';

type Forward = (xs: tf.Tensor) => tf.Tensor;

interface WeightedLayer {
  kernel: tf.LayerVariable;
  bias?: tf.LayerVariable | null;
  activation: { apply(x: tf.Tensor): tf.Tensor };
  strides?: number[];
  padding?: string;
  dilationRate?: number[];
  dataFormat?: string;
}

/**
 * A Dense or Conv2D layer's op, or null for a layer this does not rewrite. The first weighted layer
 * (`isFirst`) is always rewritten: tfjs's fused matMul/conv2d carry a custom gradient that also
 * computes the gradient of their input, which for the first layer is the data, so that work (a full
 * matMul or conv2DBackpropInput per step) is wasted. A first Conv2D runs unfused (the tape prunes
 * it). Every Dense on rows (rank 2) is rewritten: one fused kernel with its own gradient, which
 * leaves the data out (`fusedDense`).
 * On cpu every stride-1 Conv2D is rewritten to take its filter gradient from `cpuConv2d`, and
 * Dense layers run on Flock's cpu matMul kernels (`cpuDense`).
 */
function rewrittenLayer(layer: tf.layers.Layer, isFirst: boolean, onCpu: boolean): Forward | null {
  const l = layer as unknown as WeightedLayer;
  const withBias = (y: tf.Tensor) => l.activation.apply(l.bias ? y.add(l.bias.read()) : y);
  const kernel = () => l.kernel.read();
  switch (layer.getClassName()) {
    case 'Dense': {
      const bias = () => (l.bias ? (l.bias.read() as tf.Tensor1D) : null);
      const dense = (x: tf.Tensor) => l.activation.apply(cpuDense(x as tf.Tensor2D, kernel() as tf.Tensor2D, bias(), isFirst));
      const activation = (l.activation as unknown as { getClassName(): string }).getClassName();
      const fusable = activation === 'relu' || activation === 'linear' ? activation : null;
      const unfused = isFirst
        ? (x: tf.Tensor) => withBias(tf.matMul(x as tf.Tensor2D, kernel() as tf.Tensor2D))
        : (x: tf.Tensor) => layer.apply(x, { training: true }) as tf.Tensor;
      return (x) => {
        if (x.rank !== 2) return unfused(x);
        if (onCpu) return dense(x);
        return fusable ? fusedDense(x as tf.Tensor2D, kernel() as tf.Tensor2D, bias(), fusable, isFirst) : unfused(x);
      };
    }
    case 'Conv2D': {
      const simple = l.dataFormat === 'channelsLast' && [...l.strides!, ...l.dilationRate!].every((s) => s === 1);
      const padding = l.padding as 'valid' | 'same';
      if (simple && onCpu) return (x) => withBias(cpuConv2d(x as tf.Tensor4D, kernel() as tf.Tensor4D, padding, isFirst));
      if (!isFirst || l.dataFormat !== 'channelsLast') return null;
      return (x) =>
        withBias(tf.conv2d(x as tf.Tensor4D, kernel() as tf.Tensor4D, l.strides as [number, number], padding, 'NHWC', l.dilationRate as [number, number]));
    }
    default:
      return null;
  }
}

/**
 * The model's training-mode forward pass for Flock's loop, for the backend active now: layer by
 * layer, with the layers `rewrittenLayer` knows computed by their own ops. Non-sequential models
 * use `model.apply`.
 */
export function trainingForward(model: tf.LayersModel): Forward {
  if (!(model instanceof tf.Sequential)) return (xs) => model.apply(xs, { training: true }) as tf.Tensor;
  const onCpu = tf.getBackend() === 'cpu';
  const firstWeighted = model.layers.findIndex((l) => l.trainableWeights.length > 0);
  const steps = model.layers
    .filter((layer) => layer.getClassName() !== 'InputLayer')
    .map((layer): Forward => {
      const rewritten = rewrittenLayer(layer, layer === model.layers[firstWeighted], onCpu);
      return rewritten ?? ((x) => layer.apply(x, { training: true }) as tf.Tensor);
    });
  return (xs) => steps.reduce((y, step) => step(y), xs);
}
