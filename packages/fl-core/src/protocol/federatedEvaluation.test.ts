import { describe, expect, it } from 'vitest';
import { summarizeEvaluations, type DeviceEvaluation } from './federatedEvaluation.ts';

const at = '2026-01-01T00:00:00.000Z';
const e = (deviceId: string, round: number, accuracy: number, examples: number): DeviceEvaluation => ({
  deviceId,
  round,
  accuracy,
  loss: 1 - accuracy,
  examples,
  reportedAt: at,
});

describe('federated evaluation summary', () => {
  it('gives each round min, median and max across devices and the accuracy over all held-out examples', () => {
    const rounds = summarizeEvaluations([e('a', 2, 0.9, 10), e('a', 1, 0.5, 10), e('b', 1, 0.7, 30), e('c', 1, 0.6, 10)]);
    expect(rounds.map((r) => [r.round, r.devices, r.examples, r.accuracy])).toEqual([
      [1, 3, 50, { min: 0.5, median: 0.6, max: 0.7 }],
      [2, 1, 10, { min: 0.9, median: 0.9, max: 0.9 }],
    ]);
    expect(rounds[0]!.pooledAccuracy).toBeCloseTo((5 + 21 + 6) / 50);
    expect(summarizeEvaluations([e('a', 1, 0.2, 1), e('b', 1, 0.4, 1)])[0]!.accuracy.median).toBeCloseTo(0.3);
  });
});
