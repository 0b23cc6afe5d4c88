import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRng } from '../data/random.ts';
import { FedAvgAccumulator } from './fedAvgAccumulator.ts';

describe('streaming FedAvg', () => {
  it('equals the hand-computed example-weighted mean', () => {
    const acc = new FedAvgAccumulator(2);
    acc.add(Float32Array.from([1, 2]), 100);
    acc.add(Float32Array.from([3, -2]), 300);
    // (100*1 + 300*3)/400 = 2.5 ; (100*2 + 300*-2)/400 = -1
    expect([...acc.mean()]).toEqual([2.5, -1]);
    expect(acc.totalWeight).toBe(400);
    expect(acc.updates).toBe(2);
  });

  it.each([1000, 1003])('gives the same result streamed one by one as a batch mean over all updates (%i values)', (size) => {
    const rng = createRng(7);
    const rand = () => rng() * 2 - 1;
    const updates = Array.from({ length: 25 }, (_, i) => ({
      delta: Float32Array.from({ length: size }, rand),
      weight: 10 + i * 7,
    }));
    const streamed = new FedAvgAccumulator(size);
    for (const u of updates) streamed.add(u.delta, u.weight);
    const total = updates.reduce((n, u) => n + u.weight, 0);
    const batch = Float32Array.from({ length: size }, (_, i) => updates.reduce((s, u) => s + u.delta[i]! * u.weight, 0) / total);
    const mean = streamed.mean();
    for (let i = 0; i < size; i++) expect(mean[i]).toBeCloseTo(batch[i]!, 6);
  });

  it('accumulates in float64 so many small updates do not lose precision', () => {
    const acc = new FedAvgAccumulator(1);
    acc.add(Float32Array.from([1e8]), 1);
    for (let i = 0; i < 1000; i++) acc.add(Float32Array.from([1]), 1);
    expect(acc.mean()[0]).toBeCloseTo((1e8 + 1000) / 1001, 0);
  });

  it('refuses wrong sizes, non-positive weights and an empty mean', () => {
    const acc = new FedAvgAccumulator(2);
    expect(() => acc.add(new Float32Array(3), 1)).toThrow(/3 values/);
    expect(() => acc.add(new Float32Array(2), 0)).toThrow(/positive/);
    expect(() => acc.add(new Float32Array(2), Number.NaN)).toThrow(/positive/);
    expect(() => acc.mean()).toThrow(/no update/);
  });
});

describe('partial aggregates (several coordinators, one round)', () => {
  const SIZE = 16;
  const update = fc.record({
    delta: fc.array(fc.float({ min: -10, max: 10, noNaN: true }), { minLength: SIZE, maxLength: SIZE }).map((v) => Float32Array.from(v)),
    weight: fc.integer({ min: 1, max: 10_000 }),
    coordinator: fc.integer({ min: 0, max: 2 }),
  });

  it('merged by the owner, weighted by examples, give the mean one accumulator computes from the same updates (to 1e-6)', () => {
    fc.assert(
      fc.property(fc.array(update, { minLength: 1, maxLength: 40 }), (updates) => {
        const single = new FedAvgAccumulator(SIZE);
        const partials = [0, 1, 2].map(() => new FedAvgAccumulator(SIZE));
        for (const u of updates) {
          single.add(u.delta, u.weight);
          partials[u.coordinator]!.add(u.delta, u.weight);
        }
        const owner = new FedAvgAccumulator(SIZE);
        for (const p of partials) owner.merge(p.partial());
        expect(owner.updates).toBe(single.updates);
        expect(owner.totalWeight).toBe(single.totalWeight);
        const [merged, expected] = [owner.mean(), single.mean()];
        for (let i = 0; i < SIZE; i++) expect(Math.abs(merged[i]! - expected[i]!)).toBeLessThanOrEqual(1e-6);
      }),
      { seed: 17 },
    );
  });

  it('a partial is a copy: folding on after taking it does not change it', () => {
    const acc = new FedAvgAccumulator(2);
    acc.add(Float32Array.from([1, 1]), 1);
    const taken = acc.partial();
    acc.add(Float32Array.from([5, 5]), 1);
    expect([...taken.weightedSum]).toEqual([1, 1]);
    expect(taken).toMatchObject({ totalWeight: 1, updates: 1 });
  });

  it('refuses a partial of another size or with a weight that is not a finite non-negative number', () => {
    const acc = new FedAvgAccumulator(2);
    expect(() => acc.merge({ weightedSum: new Float64Array(3), totalWeight: 1, updates: 1 })).toThrow('partial aggregate has 3 values, expected 2');
    expect(() => acc.merge({ weightedSum: new Float64Array(2), totalWeight: Number.NaN, updates: 1 })).toThrow(/finite and not negative/);
    expect(acc.updates).toBe(0);
  });
});
