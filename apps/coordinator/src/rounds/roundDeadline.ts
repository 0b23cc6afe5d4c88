import type { RoundDeadline } from '@flock/fl-core';

/**
 * How long a round waits for its selected devices. Adaptive: `multiplier` x the slowest selected
 * device's last measured training time, within [floor, ceiling]; one device never measured (new,
 * or measured before a coordinator restart) makes it the ceiling, so no device is cut off unseen.
 */
export function roundDeadlineMs(policy: RoundDeadline, selected: readonly string[], measuredMs: ReadonlyMap<string, number>): number {
  if (policy.mode === 'fixed') return policy.ms;
  let slowest = 0;
  for (const id of selected) {
    const ms = measuredMs.get(id);
    if (ms === undefined) return policy.ceilingMs;
    slowest = Math.max(slowest, ms);
  }
  return Math.min(policy.ceilingMs, Math.max(policy.floorMs, Math.ceil(policy.multiplier * slowest)));
}

/** The longest a device may take: what an asynchronous device is told as its deadline. */
export function longestDeadlineMs(policy: RoundDeadline): number {
  return policy.mode === 'fixed' ? policy.ms : policy.ceilingMs;
}
