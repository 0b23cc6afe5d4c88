import type { EventLogEntry } from '@flock/fl-core';

const rowOf = (e: EventLogEntry) => [e.federationId, e.deviceId, e.kind, e.message, e.firstAt].join('\u0000');

/**
 * The dashboard's live feed under a flood: an event that repeats its row (it carries a `count`)
 * is pushed at most once per `everyMs` per row, the latest count last; everything else at once.
 */
export function throttleRepeats(push: (e: EventLogEntry) => void, everyMs = 1_000): (e: EventLogEntry) => void {
  const held = new Map<string, { latest: EventLogEntry | null }>();
  const release = (row: string) => {
    const state = held.get(row);
    if (!state?.latest) {
      held.delete(row);
      return;
    }
    push(state.latest);
    state.latest = null;
    setTimeout(release, everyMs, row).unref();
  };
  return (e) => {
    if (e.count === undefined) return push(e);
    const row = rowOf(e);
    const state = held.get(row);
    if (state) {
      state.latest = e;
      return;
    }
    push(e);
    held.set(row, { latest: null });
    setTimeout(release, everyMs, row).unref();
  };
}
