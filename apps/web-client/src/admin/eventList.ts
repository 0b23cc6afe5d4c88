import type { EventLogEntry } from '@flock/fl-core/protocol';

// A repeated event keeps its first time while its count and last time grow: that names its row.
const keyOf = (e: EventLogEntry) => `${e.firstAt ?? e.at}|${e.kind}|${e.deviceId ?? ''}|${e.message}`;

/**
 * `incoming` folded into `current` (both newest first): each event once, newest first, at most
 * `max`. The dashboard gets the same event from its live feed and from the history it loads, and
 * a repeated event again each time its count grows.
 */
export function mergeEvents(current: EventLogEntry[], incoming: EventLogEntry[], max: number): EventLogEntry[] {
  const byKey = new Map<string, EventLogEntry>();
  for (const e of [...incoming, ...current]) {
    const key = keyOf(e);
    const kept = byKey.get(key);
    // The same row from the live feed and from history: the higher count is the newer view.
    if (!kept || (e.count ?? 1) > (kept.count ?? 1)) byKey.set(key, e);
  }
  const merged = [...byKey.values()];
  // Stable: events of the same millisecond keep their order.
  merged.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
  return merged.slice(0, max);
}
