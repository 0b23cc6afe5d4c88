import { buildModel, noTopology, readWeights } from '@flock/fl-core';
import { afterAll, describe, expect, it } from 'vitest';
import { EvaluationThread } from './evaluationThread.ts';
import { MnistSource } from './mnistSource.ts';
import { ModelEvaluator, useCpuBackend } from './modelEvaluator.ts';

describe('EvaluationThread', () => {
  const thread = new EvaluationThread(noTopology);
  afterAll(() => thread.close());

  it('scores a model in its thread exactly as the in-process evaluator does, and leaves the caller its weights', async () => {
    await useCpuBackend();
    const model = buildModel('mnist-mlp', 7);
    const weights = await readWeights(model);
    model.dispose();
    const mnist = new MnistSource();
    const inProcess = new ModelEvaluator((dataset) => mnist.get('test', dataset));
    const expected = await inProcess.evaluate('mnist-mlp', weights, 200);
    inProcess.dispose();

    const [first, second] = await Promise.all([thread.evaluate('mnist-mlp', weights, 200), thread.evaluate('mnist-mlp', weights, 200)]);
    expect(first).toEqual(expected);
    expect(second).toEqual(expected);
    expect(weights.length).toBeGreaterThan(0);
  });

  it('answers a model it cannot build with the reason, and goes on scoring', async () => {
    const withTopology = new EvaluationThread(async () => ({ not: 'a topology' }));
    await expect(withTopology.evaluate('uploaded-0123456789ab', new Float32Array(4), 10)).rejects.toThrow(/\w/);
    await withTopology.close();
    const model = buildModel('mnist-mlp', 1);
    const weights = await readWeights(model);
    model.dispose();
    const { accuracy } = await thread.evaluate('mnist-mlp', weights, 50);
    expect(accuracy).toBeGreaterThanOrEqual(0);
    expect(accuracy).toBeLessThanOrEqual(1);
  });

  it('refuses to score once closed, with a reason', async () => {
    const closing = new EvaluationThread(noTopology);
    await closing.close();
    const model = buildModel('mnist-mlp', 2);
    const weights = await readWeights(model);
    model.dispose();
    const refused = expect(closing.evaluate('mnist-mlp', weights, 10)).rejects.toThrow(/shutting down/);
    await closing.close();
    await refused;
  });
});
