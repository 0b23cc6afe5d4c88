import type { CoordinatorSummary } from '@flock/fl-core/protocol';
import { formatCount } from './tables/consoleFormat.ts';

/** "4 s", "3 min", "2 h 5 min", "3 days": how long, to the unit a person cares about. */
export function formatSpan(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return min % 60 === 0 ? `${h} h` : `${h} h ${min % 60} min`;
  return `${Math.floor(h / 24)} days`;
}

export interface CoordinatorWords {
  upSince: string;
  heard: string;
  runs: string;
  devices: string;
}

/** What the coordinators view says of one coordinator. Spans are counted from the coordinator's answer (silentMs), never from this browser's clock, which may be off. */
export function coordinatorWords(c: CoordinatorSummary): CoordinatorWords {
  const lastSeen = Date.parse(c.lastSeen);
  const up = lastSeen + c.silentMs - Date.parse(c.startedAt);
  return {
    upSince: `up since ${new Date(c.startedAt).toLocaleString()} (${formatSpan(up)})`,
    heard: c.alive ? `last heard from ${formatSpan(c.silentMs)} ago` : `not heard from for ${formatSpan(c.silentMs)}: it may have stopped`,
    runs: c.federations.length === 0 ? 'runs no federation now' : `runs ${c.federations.join(', ')}`,
    devices: `${formatCount(c.devices, 'device')} connected`,
  };
}
