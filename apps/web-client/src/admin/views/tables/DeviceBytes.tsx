import type { DeviceRoundBytes } from '@flock/fl-core/protocol';
import { formatBytes, shortId } from '../../../format.ts';
import type { PagedRows } from '../../api/usePagedRows.ts';
import { PageBody, PageControls, SortHeader } from './PageControls.tsx';

const bytesOrDash = (bytes: number | null | undefined) => (bytes === null || bytes === undefined ? '—' : formatBytes(bytes));

/**
 * What each device sent (its update) and was sent (the global model) in each round it contributed to,
 * one page at a time; traffic of attempts that were called off (a pause, a lost device) is apart.
 */
export function DeviceBytes({ table }: { table: PagedRows<DeviceRoundBytes> }) {
  return (
    <section className="card" data-testid="device-bytes">
      <h2>Bytes per device and round</h2>
      <PageControls table={table} noun="row" filterLabel="Find device">
        <label>
          Round{' '}
          <input
            data-testid="device-bytes-round"
            type="number"
            min={1}
            className="narrow"
            value={table.params.round ?? ''}
            onChange={(e) => table.setParam('round', /^[1-9]\d*$/.test(e.target.value) ? e.target.value : null)}
          />
        </label>
      </PageControls>
      <PageBody
        table={table}
        noMatch="No device traffic matches: change or clear the round or filter."
        empty="No round has been stored with per-device bytes yet."
        tableTestId="device-bytes-table"
      >
        <thead>
          <tr>
            <SortHeader table={table} field="round" label="Round" numeric />
            <SortHeader table={table} field="deviceId" label="Device" />
            <SortHeader table={table} field="bytesUp" label="Up (update)" numeric />
            <SortHeader table={table} field="bytesDown" label="Down (model)" numeric />
            <th className="num">Called-off attempts: up / down</th>
          </tr>
        </thead>
        <tbody>
          {table.rows.map((r) => (
            <tr key={`${r.round}/${r.deviceId}`} data-testid="device-bytes-row">
              <td className="num">{r.round}</td>
              <td className="mono" title={r.deviceId}>
                {shortId(r.deviceId)}
              </td>
              <td className="num">{formatBytes(r.bytesUp)}</td>
              <td className="num">{bytesOrDash(r.bytesDown)}</td>
              <td className="num">
                {r.abandonedBytesUp || r.abandonedBytesDown ? `${bytesOrDash(r.abandonedBytesUp)} / ${bytesOrDash(r.abandonedBytesDown)}` : 'none'}
              </td>
            </tr>
          ))}
        </tbody>
      </PageBody>
    </section>
  );
}
