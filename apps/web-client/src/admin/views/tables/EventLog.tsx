import type { EventLogEntry } from '@flock/fl-core/protocol';
import { formatTime, shortId } from '../../../format.ts';
import type { PagedRows } from '../../api/usePagedRows.ts';
import { FilterSelect, PageBody, PageControls } from './PageControls.tsx';

const KINDS: Record<string, string> = {
  'device-joined': 'devices joining',
  'device-offline': 'devices going offline',
  'round-started': 'rounds starting',
  'round-closed': 'rounds closing',
  'round-abandoned': 'rounds called off',
  'update-accepted': 'updates accepted',
  'update-rejected': 'updates rejected',
  'privacy-target': 'privacy budget',
};

/** One page of the federation's event log, newest first, narrowed by kind, level and text on the coordinator. */
export function EventLog({ table }: { table: PagedRows<EventLogEntry> }) {
  return (
    <>
      <PageControls table={table} noun="event" filterLabel="Find text">
        <FilterSelect table={table} param="kind" label="Kind" any="every kind" options={KINDS} testId="events-kind" />
        <label>
          <input
            data-testid="warnings-only"
            type="checkbox"
            checked={table.params.level === 'warn'}
            onChange={(e) => table.setParam('level', e.target.checked ? 'warn' : null)}
          />{' '}
          Warnings only
        </label>
      </PageControls>
      <PageBody table={table} noMatch="No event matches: change or clear the filters." empty="No events yet.">
        <ol className="event-log" data-testid="event-log">
          {table.rows.map((e, i) => (
            <li key={`${e.at}-${i}`} className={`event event-${e.level}`} data-testid="event-entry" data-kind={e.kind} data-level={e.level}>
              <time>{formatTime(e.at)}</time> <span className="kind">{e.kind}</span>{' '}
              {e.deviceId && (
                <span className="mono" title={e.deviceId}>
                  [{shortId(e.deviceId)}]
                </span>
              )}{' '}
              {e.message}
              {e.count !== undefined && e.firstAt && (
                <span className="muted" data-testid="event-count">
                  {' '}
                  ×{e.count}, first at {formatTime(e.firstAt)}
                </span>
              )}
            </li>
          ))}
        </ol>
      </PageBody>
    </>
  );
}
