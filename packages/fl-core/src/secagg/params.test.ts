import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRng } from '../data/random.ts';
import { SecureAggregationConfig } from './config.ts';
import { SecAggMaskedInput, SecAggUnmaskShares } from './messages.ts';
import { neighbourGraph } from './neighbourGraph.ts';
import { deriveSecAggParams } from './params.ts';
import { dequantizeMean, quantizationLevels, quantizeWeighted } from './quantize.ts';

describe('deriveSecAggParams', () => {
  it('derives odd groups of about 2 log2 n, capped at n, and a threshold of a third', () => {
    expect(deriveSecAggParams(3)).toEqual({ ok: true, value: { neighbours: 3, threshold: 2 } });
    expect(deriveSecAggParams(10)).toEqual({ ok: true, value: { neighbours: 9, threshold: 3 } });
    expect(deriveSecAggParams(100)).toEqual({ ok: true, value: { neighbours: 15, threshold: 5 } });
    expect(deriveSecAggParams(1000)).toEqual({ ok: true, value: { neighbours: 21, threshold: 7 } });
  });

  it('refuses groups beyond the 255 Shamir shares, thresholds above the group and rounds below the threshold', () => {
    expect(deriveSecAggParams(1000, { neighbours: 257 })).toEqual({ ok: false, reason: expect.stringContaining('255') });
    expect(deriveSecAggParams(5, { threshold: 7 })).toEqual({ ok: false, reason: expect.stringContaining('at least 7 devices') });
    expect(deriveSecAggParams(50, { neighbours: 5, threshold: 7 })).toEqual({ ok: false, reason: expect.stringContaining('lower the threshold') });
  });
});

describe('SecureAggregationConfig', () => {
  it('accepts the block with or without its optional fields and rejects even or oversized groups', () => {
    expect(SecureAggregationConfig.safeParse({ enabled: true }).success).toBe(true);
    expect(SecureAggregationConfig.safeParse({ enabled: true, neighbours: 15, threshold: 8, clip: 2 }).success).toBe(true);
    expect(SecureAggregationConfig.safeParse({ enabled: true, neighbours: 14 }).success).toBe(false);
    expect(SecureAggregationConfig.safeParse({ enabled: true, neighbours: 257 }).success).toBe(false);
    expect(SecureAggregationConfig.safeParse({ enabled: true, neighbours: 5, threshold: 6 }).success).toBe(false);
  });
});

describe('neighbourGraph', () => {
  it('is symmetric, of degree k-1, and the same for the same ids and seed in any order', () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 40 }), fc.integer({ min: 1, max: 10 }), fc.string(), (n, half, seed) => {
        const ids = Array.from({ length: n }, (_, i) => `device-${i}`);
        const k = 2 * half + 1;
        const graph = neighbourGraph(ids, k, seed);
        expect(neighbourGraph([...ids].reverse(), k, seed)).toEqual(graph);
        for (const [id, peers] of graph) {
          expect(peers).toHaveLength(Math.min(k, n) - 1);
          for (const peer of peers) expect(graph.get(peer)).toContain(id);
        }
      }),
      { numRuns: 20 },
    );
  });
});

describe('quantization', () => {
  it('round-trips a weighted mean within one quantization step per device', () => {
    const params = { clip: 1, maxWeight: 100, levels: quantizationLevels(3) };
    const updates = [Float32Array.of(0.5, -2, 0), Float32Array.of(-0.25, 0.75, 1), Float32Array.of(0, 0, -1)];
    const weights = [10, 30, 60];
    const sum = new Uint32Array(4);
    updates.forEach((u, i) => quantizeWeighted(u, weights[i]!, params, createRng(i)).forEach((q, j) => (sum[j] = sum[j]! + q)));
    const result = dequantizeMean(sum, 3, params)!;
    expect(result.totalWeight).toBeCloseTo(100, 4);
    // Σ w·clip(u) / Σ w with weights 0.1, 0.3, 0.6 (-2 clips to -1).
    [0.1 * 0.5 - 0.3 * 0.25, -0.1 + 0.3 * 0.75, 0.3 - 0.6].forEach((expected, j) => expect(result.mean[j]).toBeCloseTo(expected, 5));
  });
});

describe('message schemas', () => {
  it('reject malformed messages: a ragged masked vector, a short share, a bad device id', () => {
    const base = { federationId: 'fed', round: 1, deviceId: 'device-a1' };
    expect(SecAggMaskedInput.safeParse({ ...base, masked: new Uint8Array(8) }).success).toBe(true);
    expect(SecAggMaskedInput.safeParse({ ...base, masked: new Uint8Array(7) }).success).toBe(false);
    expect(SecAggMaskedInput.safeParse({ ...base, round: -1, masked: new Uint8Array(8) }).success).toBe(false);
    expect(SecAggUnmaskShares.safeParse({ ...base, seedShares: [{ of: 'device-b2', share: new Uint8Array(33) }], keyShares: [] }).success).toBe(true);
    expect(SecAggUnmaskShares.safeParse({ ...base, seedShares: [{ of: 'device-b2', share: new Uint8Array(32) }], keyShares: [] }).success).toBe(false);
    expect(SecAggUnmaskShares.safeParse({ ...base, deviceId: 'x y', seedShares: [], keyShares: [] }).success).toBe(false);
  });
});
