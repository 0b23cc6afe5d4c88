import type { EventLogEntry } from '@flock/fl-core/protocol';
import { formatTime, shortId } from '../format.ts';

export function EventLog({ events }: { events: EventLogEntry[] }) {
  if (events.length === 0) return <p className="muted">No events since this page opened.</p>;
  return (
    <ol className="event-log" data-testid="event-log">
      {events.map((e, i) => (
        <li key={`${e.at}-${i}`} className={`event event-${e.level}`} data-testid="event-entry">
          <time>{formatTime(e.at)}</time> <span className="kind">{e.kind}</span>{' '}
          {e.deviceId && <span className="mono">[{shortId(e.deviceId)}]</span>} {e.message}
        </li>
      ))}
    </ol>
  );
}
