import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { AnalyticsQuery } from '../analytics/query.ts';
import { confusionMatrixAnswer } from '../analytics/deviceAnswer.ts';
import type { ImageDataset } from '../data/dataset.ts';
import { createRng } from '../data/random.ts';
import { predictLabels } from './evaluate.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** A linear model on two pixels whose logits are (p0, p1, 1 - p0 - p1): it predicts the brightest of the two, or class 2 when both are dark. */
function twoPixelModel(): tf.LayersModel {
  const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [1, 2, 1] }), tf.layers.dense({ units: 3 })] });
  model.setWeights([tf.tensor2d([1, 0, -1, 0, 1, -1], [2, 3]), tf.tensor1d([0, 0, 1])]);
  return model;
}

/** 23 examples of two pixels each, labels 0..2, seeded. */
function examples(): ImageDataset {
  const rng = createRng(7);
  const count = 23;
  return {
    count,
    height: 1,
    width: 2,
    channels: 1,
    numClasses: 3,
    pixels: Uint8Array.from({ length: count * 2 }, () => Math.floor(rng() * 256)),
    labels: Uint8Array.from({ length: count }, () => Math.floor(rng() * 3)),
  };
}

/** What the model predicts, by hand: the argmax of (p0, p1, 1 - p0 - p1) with pixels in [0, 1]. */
function expected(data: ImageDataset): number[] {
  return Array.from({ length: data.count }, (_, i) => {
    const [p0, p1] = [data.pixels[2 * i]! / 255, data.pixels[2 * i + 1]! / 255];
    const logits = [p0, p1, 1 - p0 - p1];
    return logits.indexOf(Math.max(...logits));
  });
}

describe('predictLabels', () => {
  it("gives each example the model's argmax in order, across batches, leaving no tensor behind", async () => {
    const model = twoPixelModel();
    const data = examples();
    const before = tf.memory().numTensors;
    const labels = await predictLabels(model, data, 5);
    expect(tf.memory().numTensors).toBe(before);
    expect(Array.from(labels)).toEqual(expected(data));
    expect(new Set(labels).size).toBe(3);
    model.dispose();
  });

  it("counts a device's confusion matrix from them: rows true labels, columns predictions, each example once", async () => {
    const model = twoPixelModel();
    const data = examples();
    const query = AnalyticsQuery.parse({ kind: 'confusion-matrix' });
    if (query.kind !== 'confusion-matrix') throw new Error('parsed another kind');
    const context = { classes: ['a', 'b', 'c'], columns: null, labelColumn: null, maxExamplesPerDevice: 1000 };
    const answer = await confusionMatrixAnswer(query, context, data, (counted) => predictLabels(model, counted));
    const truth = new Array<number>(9).fill(0);
    expected(data).forEach((p, i) => truth[data.labels[i]! * 3 + p]!++);
    expect(Array.from(answer)).toEqual(truth);
    // With examplesPerDevice, a sample of that many is counted.
    const capped = AnalyticsQuery.parse({ kind: 'confusion-matrix', privacy: { examplesPerDevice: 10 } });
    if (capped.kind !== 'confusion-matrix') throw new Error('parsed another kind');
    const sampled = await confusionMatrixAnswer(capped, context, data, (counted) => predictLabels(model, counted), createRng(3));
    expect(sampled.reduce((a, b) => a + b, 0)).toBe(10);
    model.dispose();
  });
});
