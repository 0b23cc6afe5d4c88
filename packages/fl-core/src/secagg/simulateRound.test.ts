import { describe, expect, it } from 'vitest';
import { createRng, shuffleInPlace } from '../data/random.ts';
import { sumMasks, type MaskSummer } from './masking.ts';
import { deriveSecAggParams } from './params.ts';
import { quantizationLevels, quantizeWeighted } from './quantize.ts';
import { simulateSecAggRound, type SimulatedDevice } from './simulateRound.ts';

const CLIP = 1;
const MAX_WEIGHT = 1000;

function makeDevices(n: number, length: number, seed: number): SimulatedDevice[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, (_, i) => ({
    deviceId: `device-${String(i).padStart(4, '0')}`,
    update: Float32Array.from({ length }, () => (rng() - 0.5) * 3),
    weight: 1 + Math.floor(rng() * 600),
  }));
}

/** Devices get their own seeded rounding source, so the plaintext sum can be recomputed exactly. */
function withRounding(devices: SimulatedDevice[], seed: number): SimulatedDevice[] {
  return devices.map((d, i) => ({ ...d, random: createRng(seed + i) }));
}

function dropped(devices: SimulatedDevice[], fraction: number, seed: number): Set<string> {
  const ids = devices.map((d) => d.deviceId);
  shuffleInPlace(ids, createRng(seed));
  return new Set(ids.slice(0, Math.round(fraction * ids.length)));
}

const roundOptions = { federationId: 'fed-secagg', round: 7, clip: CLIP, maxWeight: MAX_WEIGHT, roundSeed: 'seed-of-round-7' };

describe('a SecAgg+ round', () => {
  for (const [n, length] of [
    [3, 300],
    [10, 200],
    [100, 16],
  ] as const)
    for (const fraction of [0, 0.1, 0.3])
      it(`unmasks to the plaintext quantized sum of the survivors bit for bit (n=${n}, ${fraction * 100}% drop after sharing keys)`, async () => {
        const devices = makeDevices(n, length, n);
        const gone = dropped(devices, fraction, 99);
        const { outcome } = await simulateSecAggRound(roundOptions, withRounding(devices, 1000), gone);
        if (!outcome.ok) throw new Error(outcome.reason);
        const levels = quantizationLevels(n);
        const expected = new Uint32Array(length + 1);
        devices.forEach((d, i) => {
          if (gone.has(d.deviceId)) return;
          const q = quantizeWeighted(d.update, d.weight, { clip: CLIP, maxWeight: MAX_WEIGHT, levels }, createRng(1000 + i));
          for (let j = 0; j < q.length; j++) expected[j] = expected[j]! + q[j]!;
        });
        expect(outcome.value.contributors).toBe(n - gone.size);
        expect(Buffer.from(outcome.value.sum.buffer).equals(Buffer.from(expected.buffer))).toBe(true);
      });

  it('unmasks to the same sum when a mask summer expands the masks (the coordinator’s threads)', async () => {
    const devices = makeDevices(10, 200, 10);
    const gone = dropped(devices, 0.3, 99);
    const summed: number[] = [];
    const maskSummer: MaskSummer = (masks, length) => {
      summed.push(masks.length);
      return sumMasks(masks, length);
    };
    const inPlace = await simulateSecAggRound(roundOptions, withRounding(devices, 1000), gone);
    const bySummer = await simulateSecAggRound({ ...roundOptions, maskSummer }, withRounding(devices, 1000), gone);
    if (!inPlace.outcome.ok || !bySummer.outcome.ok) throw new Error('the round failed');
    expect(summed).toHaveLength(1);
    expect(bySummer.outcome.value.sum).toEqual(inPlace.outcome.value.sum);
  });

  it('yields the weighted mean of the clipped updates within the quantization error', async () => {
    const devices = makeDevices(10, 100, 5);
    const { outcome } = await simulateSecAggRound(roundOptions, devices);
    if (!outcome.ok) throw new Error(outcome.reason);
    const total = devices.reduce((s, d) => s + d.weight, 0);
    expect(outcome.value.totalWeight).toBeCloseTo(total, 2);
    for (let j = 0; j < 100; j++) {
      const mean = devices.reduce((s, d) => s + d.weight * Math.min(Math.max(d.update[j]!, -CLIP), CLIP), 0) / total;
      expect(Math.abs(outcome.value.mean[j]! - mean)).toBeLessThan(1e-5);
    }
  });

  it('aborts with a reason, publishing nothing, when fewer than the threshold send masked updates', async () => {
    const devices = makeDevices(10, 20, 3);
    const { threshold } = (deriveSecAggParams(10) as { ok: true; value: { threshold: number } }).value;
    const gone = new Set(devices.slice(threshold - 1).map((d) => d.deviceId));
    const { outcome } = await simulateSecAggRound(roundOptions, devices, gone);
    expect(outcome).toEqual({ ok: false, reason: expect.stringMatching(/needs at least \d+, so no sum is published; the round is redone/) });
  });
});
