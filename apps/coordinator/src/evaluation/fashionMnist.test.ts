import { describe, expect, it } from 'vitest';
import { FASHION_TEST_PER_CLASS, FASHION_TRAIN_PER_CLASS } from './fashionMnist.ts';
import { MnistSource } from './mnistSource.ts';

describe('Fashion-MNIST demo data', () => {
  it('splits each class into 6,000 training and 1,000 test images, classes interleaved, loaded once', async () => {
    const source = new MnistSource();
    const started = performance.now();
    const [train, test] = await Promise.all([source.get('train', 'fashion-mnist'), source.get('test', 'fashion-mnist')]);
    console.log(`Fashion-MNIST loaded in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    expect(train.count).toBe(10 * FASHION_TRAIN_PER_CLASS);
    expect(test.count).toBe(10 * FASHION_TEST_PER_CLASS);
    for (const split of [train, test]) {
      expect([split.height, split.width, split.channels, split.numClasses]).toEqual([28, 28, 1, 10]);
      expect(split.pixels.length).toBe(split.count * 784);
      expect([...split.labels.subarray(0, 20)]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    }
    // Real images, not zero-filled slots: every test image has ink.
    for (let i = 0; i < test.count; i += 997) expect(test.pixels.subarray(i * 784, (i + 1) * 784).some((p) => p > 0)).toBe(true);
    // Cached: the same object again, not a second read.
    expect(await source.get('test', 'fashion-mnist')).toBe(test);
    // Not MNIST: the digit set differs.
    expect((await source.get('test')).pixels.subarray(0, 784)).not.toEqual(test.pixels.subarray(0, 784));
  }, 120_000);
});
