import { describe, expect, it } from 'vitest';
import { l2Norm } from '../../aggregation/vectorMath.ts';
import { createRng, gaussian } from '../../data/random.ts';
import { privatizeDelta } from './localDp.ts';

describe('local DP on the device', () => {
  it('clips to clipNorm, then adds N(0, noiseStd^2) to every value', () => {
    const out = privatizeDelta(Float32Array.of(6, 8), { clipNorm: 1, noiseStd: 0.1 }, createRng(3));
    const noise = createRng(3);
    expect(out[0]).toBeCloseTo(0.6 + 0.1 * gaussian(noise), 6);
    expect(out[1]).toBeCloseTo(0.8 + 0.1 * gaussian(noise), 6);
  });

  it('only clips without noise, and leaves a delta alone without instructions', () => {
    expect(l2Norm(privatizeDelta(Float32Array.of(6, 8), { clipNorm: 2 }, createRng(1)))).toBeCloseTo(2, 6);
    const delta = Float32Array.of(6, 8);
    expect(privatizeDelta(delta, {}, createRng(1))).toBe(delta);
  });
});
