import type { RoundRecord } from '@flock/fl-core/protocol';
import { timelineBars } from './roundTimeline.ts';

/** Rounds as bars in time: how long each took and how long the federation waited between them. */
export function RoundTimeline({ rounds }: { rounds: RoundRecord[] }) {
  const bars = timelineBars(rounds);
  if (bars.length === 0) return null;
  return (
    <div className="round-timeline" data-testid="round-timeline">
      {bars.map((b) => (
        <div
          key={b.round}
          className={`timeline-bar closed-${b.closedBy ?? 'unknown'}${b.extended ? ' extended' : ''}`}
          style={{ left: `${b.left}%`, width: `${b.width}%` }}
          title={b.title}
          data-round={b.round}
        >
          {b.width > 4 ? b.round : ''}
        </div>
      ))}
    </div>
  );
}
