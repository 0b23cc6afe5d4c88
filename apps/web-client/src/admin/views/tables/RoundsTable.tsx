import type { RoundRecord } from '@flock/fl-core/protocol';
import { formatBytes, formatDuration, formatNumber, formatPercent } from '../../../format.ts';
import type { PagedRows } from '../../api/usePagedRows.ts';
import { FilterSelect, PageBody, PageControls, SortHeader } from './PageControls.tsx';

const CLOSED_BY: Record<NonNullable<RoundRecord['closedBy']>, string> = {
  'all-answered': 'every device answered',
  deadline: 'the deadline',
  'buffer-full': 'a full buffer',
};

/** One page of the completed rounds (newest first unless sorted otherwise). */
export function RoundsTable({ table }: { table: PagedRows<RoundRecord> }) {
  return (
    <>
      <PageControls table={table} noun="round" filterLabel="Find round">
        <FilterSelect table={table} param="closedBy" label="Closed by" any="anything" options={CLOSED_BY} testId="rounds-closed-by" />
      </PageControls>
      <PageBody table={table} noMatch="No round matches: change or clear the filter." empty="No round has completed yet." tableTestId="rounds-table">
        <thead>
          <tr>
            <SortHeader table={table} field="round" label="Round" numeric />
            <SortHeader table={table} field="participants" label="Participants" numeric />
            <th className="num">Examples</th>
            <SortHeader table={table} field="accuracy" label="Accuracy" numeric />
            <SortHeader table={table} field="loss" label="Loss" numeric />
            <SortHeader table={table} field="trainAccuracy" label="Training accuracy" numeric />
            <SortHeader table={table} field="durationMs" label="Duration" numeric />
            <SortHeader table={table} field="bytesUp" label="Bytes up" numeric />
            <SortHeader table={table} field="bytesDown" label="Bytes down" numeric />
            <th>Closed by</th>
          </tr>
        </thead>
        <tbody>
          {table.rows.map((r) => (
            <tr key={r.round} data-testid="round-row" data-round={r.round}>
              <td className="num">{r.round}</td>
              <td className="num">
                {r.participants}
                {r.rejected > 0 && <span className="muted"> (+{r.rejected} rejected)</span>}
              </td>
              <td className="num">{r.examples}</td>
              <td className="num">{formatPercent(r.accuracy)}</td>
              <td className="num">{formatNumber(r.loss)}</td>
              <td className="num">{formatPercent(r.trainAccuracy)}</td>
              <td className="num">{formatDuration(r.durationMs)}</td>
              <td className="num">{formatBytes(r.bytesUp)}</td>
              <td className="num">{formatBytes(r.bytesDown)}</td>
              <td>{r.closedBy ? CLOSED_BY[r.closedBy] : '—'}</td>
            </tr>
          ))}
        </tbody>
      </PageBody>
    </>
  );
}
