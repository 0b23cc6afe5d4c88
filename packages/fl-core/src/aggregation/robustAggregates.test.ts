import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { coordinateMedian, krumOf, trimmedMeanOf } from './robustAggregates.ts';
import { weightedMean } from './vectorMath.ts';

const RUNS = { seed: 17, numRuns: 200 };

/** A round's deltas: 1 to 9 vectors of one length, finite values of moderate size. */
const deltas = fc
  .integer({ min: 1, max: 16 })
  .chain((length) => fc.array(fc.float32Array({ noNaN: true, min: -1e3, max: 1e3, minLength: length, maxLength: length }), { minLength: 1, maxLength: 9 }));

describe('robust aggregates', () => {
  it('do not depend on the order the deltas arrived in', () => {
    fc.assert(
      fc.property(
        deltas.chain((d) => fc.tuple(fc.constant(d), fc.shuffledSubarray(d, { minLength: d.length, maxLength: d.length }))),
        ([arrived, shuffled]) => {
          expect(coordinateMedian(shuffled)).toEqual(coordinateMedian(arrived));
          expect(trimmedMeanOf(shuffled, 0.2)).toEqual(trimmedMeanOf(arrived, 0.2));
        },
      ),
      RUNS,
    );
  });

  it('keep every coordinate between the smallest and largest value given', () => {
    fc.assert(
      fc.property(deltas, fc.double({ min: 0, max: 0.49, noNaN: true }), (d, beta) => {
        for (const out of [coordinateMedian(d), trimmedMeanOf(d, beta), krumOf(d, 1, 2)]) {
          out.forEach((v, i) => {
            const column = d.map((x) => x[i]!);
            expect(v).toBeGreaterThanOrEqual(Math.min(...column) - 1e-3);
            expect(v).toBeLessThanOrEqual(Math.max(...column) + 1e-3);
          });
        }
      }),
      RUNS,
    );
  });

  it('a trimmed mean that trims nothing is the plain mean', () => {
    fc.assert(
      fc.property(deltas, (d) => {
        const mean = weightedMean(d);
        trimmedMeanOf(d, 0).forEach((v, i) => expect(v).toBeCloseTo(mean[i]!, 3));
      }),
      RUNS,
    );
  });

  it('Krum with select 1 keeps one of the deltas as it is', () => {
    fc.assert(
      fc.property(deltas, fc.integer({ min: 0, max: 3 }), (d, f) => {
        const kept = krumOf(d, f, 1);
        expect(d.some((x) => x.every((v, i) => v === kept[i]))).toBe(true);
      }),
      RUNS,
    );
  });
});
