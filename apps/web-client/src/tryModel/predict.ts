import { toChannels } from '@flock/fl-core/data';
import type { DataShape } from '@flock/fl-core/config';
import type { Tensor2D } from '@tensorflow/tfjs';

/** One input for the model: values already scaled as in training (pixels / 255, CSV features as they are). */
export interface ModelInput {
  values: Float32Array;
  shape: DataShape['inputShape'];
}

/**
 * Runs the federation's current global model (fetched like tf.loadLayersModel does, from the model
 * route, with `token` when given: an enrollment-only federation's model is for its members) on one
 * input and returns the class probabilities. tfjs is loaded only when someone
 * asks, on the CPU: one small prediction needs no GPU, and the training worker keeps the GPU to itself.
 */
export async function predictWithGlobalModel(federationId: string, input: ModelInput, token: string | null): Promise<number[]> {
  const tf = await import('@tensorflow/tfjs');
  if (tf.getBackend() !== 'cpu') await tf.setBackend('cpu');
  const requestInit: RequestInit = token === null ? {} : { headers: { Authorization: `Bearer ${token}` } };
  const model = await tf.loadLayersModel(`/api/federations/${encodeURIComponent(federationId)}/model`, { requestInit });
  try {
    const probabilities = tf.tidy(() => tf.softmax(model.predict(tf.tensor4d(input.values, [1, ...input.shape])) as Tensor2D));
    try {
      return [...(await probabilities.data())];
    } finally {
      probabilities.dispose();
    }
  } finally {
    model.dispose();
  }
}

/** A drawing (white strokes on black, any size) scaled to the model's input, in its channels, as training sees pixels. */
export function canvasInput(source: HTMLCanvasElement, shape: DataShape['inputShape']): ModelInput {
  const [height, width, channels] = shape;
  const small = document.createElement('canvas');
  small.width = width;
  small.height = height;
  const context = small.getContext('2d', { willReadFrequently: true })!;
  context.drawImage(source, 0, 0, width, height);
  const pixels = toChannels(context.getImageData(0, 0, width, height).data, channels === 3 ? 3 : 1);
  const values = Float32Array.from(pixels, (p) => p / 255);
  return { values, shape };
}
