import type { RoundRecord } from '@flock/fl-core/protocol';

export interface TimelineBar {
  round: number;
  /** Percent of the timeline's width. */
  left: number;
  width: number;
  closedBy: RoundRecord['closedBy'];
  extended: boolean;
  title: string;
}

/**
 * Each round as a bar from its start (completion minus duration) to its completion, on one time
 * axis from the first round's start to the last one's end: gaps are waiting for devices or paused.
 */
export function timelineBars(rounds: readonly RoundRecord[]): TimelineBar[] {
  const spans = rounds.map((r) => {
    const end = Date.parse(r.completedAt);
    return { r, start: end - r.durationMs, end };
  });
  if (spans.length === 0) return [];
  const from = Math.min(...spans.map((s) => s.start));
  const to = Math.max(...spans.map((s) => s.end));
  const total = Math.max(to - from, 1);
  return spans
    .sort((a, b) => a.r.round - b.r.round)
    .map(({ r, start, end }) => ({
      round: r.round,
      left: ((start - from) / total) * 100,
      width: Math.max(((end - start) / total) * 100, 0.5),
      closedBy: r.closedBy,
      extended: r.extended,
      title: `round ${r.round}: ${(r.durationMs / 1000).toFixed(1)} s, ${r.participants} devices${r.closedBy ? `, closed by ${r.closedBy}` : ''}${r.extended ? ' (extended)' : ''}`,
    }));
}
