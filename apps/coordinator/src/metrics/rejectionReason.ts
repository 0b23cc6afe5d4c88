/**
 * A refused update's reason, reduced to a small fixed set for the `reason` label (the full text,
 * with ids and numbers, would make one time series per refusal). First match wins.
 */
const RULES: ReadonlyArray<readonly [label: string, pattern: RegExp]> = [
  ['schema', /is malformed/i],
  ['wrong-federation', /sent to federation/i],
  ['stale', /no round is running|round \d+ is running|stale|aggregations old|closed/i],
  ['not-selected', /not selected/i],
  ['too-large', /exceeds|larger than|too large/i],
  ['codec', /encoded as|top-k payload|codec/i],
  ['non-finite', /poison|NaN|Infinity|loss is/i],
  ['examples', /numExamples/i],
  ['payload', /payload/i],
];

export const REJECTION_LABELS = [...RULES.map(([label]) => label), 'other'] as const;

export function rejectionLabel(reason: string): string {
  return RULES.find(([, pattern]) => pattern.test(reason))?.[0] ?? 'other';
}
