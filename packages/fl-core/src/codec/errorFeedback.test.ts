import { describe, expect, it } from 'vitest';
import { createRng, gaussian } from '../data/random.ts';
import { ErrorFeedback } from './errorFeedback.ts';
import { decodeWeights, type WeightsManifest } from './weightsCodec.ts';

const manifest: WeightsManifest = [
  { name: 'fc/kernel', shape: [100, 40], dtype: 'float32' },
  { name: 'fc/bias', shape: [40], dtype: 'float32' },
];
const SIZE = 4040;

function delta(rng: () => number): Float32Array {
  return Float32Array.from({ length: SIZE }, () => gaussian(rng) * 0.01);
}

describe('error feedback', () => {
  it.each([
    ['top-k 1%', { name: 'topk', fraction: 0.01 }],
    ['int8', { name: 'int8' }],
    ['float16', { name: 'float16' }],
  ] as const)('conserves mass with %s: everything sent plus the residual equals every delta given', (_, codec) => {
    const rng = createRng(11);
    const ef = new ErrorFeedback(SIZE);
    const given = new Float64Array(SIZE);
    const sent = new Float64Array(SIZE);
    for (let round = 0; round < 20; round++) {
      const d = delta(rng);
      for (let i = 0; i < SIZE; i++) given[i]! += d[i]!;
      const payload = ef.encode(manifest, d, codec, { random: rng });
      const decoded = decodeWeights(payload, manifest).values;
      for (let i = 0; i < SIZE; i++) sent[i]! += decoded[i]!;
    }
    for (let i = 0; i < SIZE; i++) expect(sent[i]! + ef.residual[i]!).toBeCloseTo(given[i]!, 5);
  });

  it('sends over the rounds what one top-k payload leaves out', () => {
    const ef = new ErrorFeedback(SIZE);
    // Every round the same delta: 20 large values take 20 of the 41 slots; each small one must still arrive.
    const d = Float32Array.from({ length: SIZE }, (_, i) => (i < 20 ? 1 : 0.001));
    const sent = new Float64Array(SIZE);
    for (let round = 0; round < 200; round++) {
      const decoded = decodeWeights(ef.encode(manifest, d, { name: 'topk', fraction: 0.01 }), manifest).values;
      for (let i = 0; i < SIZE; i++) sent[i]! += decoded[i]!;
    }
    expect(sent[SIZE - 1]!).toBeGreaterThan(0);
    expect(sent[SIZE - 1]! + ef.residual[SIZE - 1]!).toBeCloseTo(200 * 0.001, 3);
  });

  it('drops a residual poisoned by a non-finite delta', () => {
    const ef = new ErrorFeedback(SIZE);
    const d = delta(createRng(3));
    d[7] = Number.NaN;
    ef.encode(manifest, d, { name: 'topk', fraction: 0.01 });
    expect(ef.residual.every((v) => v === 0)).toBe(true);
  });

  it('resumes from a stored residual of the right size only', () => {
    const stored = Float32Array.from({ length: SIZE }, (_, i) => i * 1e-6);
    expect([...new ErrorFeedback(SIZE, stored).residual]).toEqual([...stored]);
    expect(() => new ErrorFeedback(SIZE, new Float32Array(3))).toThrow(/residual has 3 values/);
  });
});
