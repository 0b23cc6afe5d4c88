import type { RoundRecord, RoundSeries, RoundSeriesPoint } from '@flock/fl-core';

/**
 * The charts' points: every round when there are at most `maxPoints`, else `maxPoints` even buckets of
 * consecutive rounds, each shown at its last round with the mean of its rates and the sum of its bytes.
 */
export function roundSeries(records: readonly RoundRecord[], maxPoints: number): RoundSeries {
  const size = Math.max(1, Math.ceil(records.length / maxPoints));
  const points: RoundSeriesPoint[] = [];
  for (let start = 0; start < records.length; start += size) points.push(pointOf(records.slice(start, start + size)));
  return { rounds: records.length, points };
}

function pointOf(bucket: readonly RoundRecord[]): RoundSeriesPoint {
  const last = bucket[bucket.length - 1]!;
  const sum = (value: (r: RoundRecord) => number) => bucket.reduce((total, r) => total + value(r), 0);
  return {
    round: last.round,
    accuracy: mean(bucket.map((r) => r.accuracy)),
    loss: mean(bucket.map((r) => r.loss)),
    trainingAccuracy: mean(bucket.map((r) => r.trainAccuracy)),
    trainingLoss: mean(bucket.map((r) => r.trainLoss)),
    participants: sum((r) => r.participants) / bucket.length,
    bytesUp: sum((r) => r.bytesUp),
    bytesDown: sum((r) => r.bytesDown),
    abandonedBytesUp: sum((r) => r.abandonedBytesUp ?? 0),
    abandonedBytesDown: sum((r) => r.abandonedBytesDown ?? 0),
    durationMs: sum((r) => r.durationMs) / bucket.length,
    // Privacy spent is cumulative: the bucket's last round says what was spent by then.
    epsilon: last.epsilon ?? null,
  };
}

/** The mean of the values a round has; null when no round in the bucket has one. */
function mean(values: ReadonlyArray<number | null>): number | null {
  const known = values.filter((v): v is number => v !== null);
  return known.length === 0 ? null : known.reduce((a, b) => a + b, 0) / known.length;
}
