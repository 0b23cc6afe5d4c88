import type { EventLogEntry } from '@flock/fl-core/protocol';

const keyOf = (e: EventLogEntry) => `${e.at}|${e.kind}|${e.deviceId ?? ''}|${e.message}`;

/**
 * `incoming` folded into `current` (both newest first): each event once, newest first, at most
 * `max`. The dashboard gets the same event from its live feed and from the history it loads.
 */
export function mergeEvents(current: EventLogEntry[], incoming: EventLogEntry[], max: number): EventLogEntry[] {
  const seen = new Set<string>();
  const merged: EventLogEntry[] = [];
  for (const e of [...incoming, ...current]) {
    const key = keyOf(e);
    if (seen.has(key)) continue;
    seen.add(key);
    merged.push(e);
  }
  // Stable: events of the same millisecond keep their order.
  merged.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
  return merged.slice(0, max);
}
