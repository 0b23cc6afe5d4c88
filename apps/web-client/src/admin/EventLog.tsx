import type { EventLogEntry } from '@flock/fl-core/protocol';
import { useState } from 'react';
import { formatTime, shortId } from '../format.ts';

/** The federation's event log, newest first; a toggle narrows it to warnings (rejections, drops, abandoned rounds). */
export function EventLog({ events, warnings }: { events: EventLogEntry[]; warnings: EventLogEntry[] }) {
  const [warningsOnly, setWarningsOnly] = useState(false);
  const shown = warningsOnly ? warnings : events;
  return (
    <>
      <div className="controls">
        <label>
          <input data-testid="warnings-only" type="checkbox" checked={warningsOnly} onChange={(e) => setWarningsOnly(e.target.checked)} />{' '}
          Warnings only ({warnings.length})
        </label>
      </div>
      {shown.length === 0 ? (
        <p className="muted">{warningsOnly ? 'No warnings.' : 'No events yet.'}</p>
      ) : (
        <ol className="event-log" data-testid="event-log">
          {shown.map((e, i) => (
            <li key={`${e.at}-${i}`} className={`event event-${e.level}`} data-testid="event-entry" data-kind={e.kind} data-level={e.level}>
              <time>{formatTime(e.at)}</time> <span className="kind">{e.kind}</span>{' '}
              {e.deviceId && <span className="mono">[{shortId(e.deviceId)}]</span>} {e.message}
              {e.count !== undefined && e.firstAt && (
                <span className="muted" data-testid="event-count">
                  {' '}
                  ×{e.count}, first at {formatTime(e.firstAt)}
                </span>
              )}
            </li>
          ))}
        </ol>
      )}
    </>
  );
}
