import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { MNIST_SHAPE } from '../config/datasetConfig.ts';
import { ModelCache } from './modelCache.ts';
import { manifestOf, buildModel } from './zoo.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('ModelCache', () => {
  it('builds an uploaded model once from its topology, with the same weight names as the coordinator, and fetches again after a failure', async () => {
    const source = buildModel('mnist-cnn-small', 3);
    const topology = source.toJSON(null, false);
    const cache = new ModelCache();
    const asked: string[] = [];
    let failNext = true;
    const loader = async (id: string) => {
      asked.push(id);
      if (failNext) {
        failNext = false;
        throw new Error('HTTP 503');
      }
      return topology;
    };
    await expect(cache.resolve('uploaded-0123456789ab', MNIST_SHAPE, loader)).rejects.toThrow('HTTP 503');
    const built = await cache.resolve('uploaded-0123456789ab', MNIST_SHAPE, loader);
    expect(await cache.resolve('uploaded-0123456789ab', MNIST_SHAPE, loader)).toBe(built);
    expect(asked).toEqual(['uploaded-0123456789ab', 'uploaded-0123456789ab']);
    expect(manifestOf(built)).toEqual(manifestOf(source));
    // Zoo names never reach the loader.
    expect(await cache.resolve('mnist-mlp', MNIST_SHAPE, loader)).toBe(cache.get('mnist-mlp'));
    expect(asked).toHaveLength(2);
    source.dispose();
    cache.dispose();
  });
});
