import { describe, expect, it } from 'vitest';
import { createRng, gaussian } from '../../data/random.ts';
import { NoisedClippedMean } from './centralDp.ts';

describe('central DP aggregation', () => {
  it('clips each update to C, sums them unweighted, adds N(0, (zC)^2) to the sum, divides by the count', () => {
    const agg = new NoisedClippedMean(2, { clipNorm: 5, noiseMultiplier: 0.5 }, createRng(7));
    agg.add(Float32Array.of(30, 40), 1000); // clipped to [3, 4]; its 1000 examples do not weigh
    agg.add(Float32Array.of(1, 0), 1);
    const noise = createRng(7);
    const expected = [(3 + 1 + 2.5 * gaussian(noise)) / 2, (4 + 0 + 2.5 * gaussian(noise)) / 2];
    const out = agg.result();
    expect(out[0]).toBeCloseTo(expected[0]!, 5);
    expect(out[1]).toBeCloseTo(expected[1]!, 5);
  });

  it('adds nothing with a zero noise multiplier', () => {
    const agg = new NoisedClippedMean(1, { clipNorm: 1, noiseMultiplier: 0 }, createRng(1));
    agg.add(Float32Array.of(-3), 1);
    expect([...agg.result()]).toEqual([-1]);
  });
});
