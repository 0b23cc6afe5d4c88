import { devicePlatformWords, deviceStateWords, type DeviceInfo } from '@flock/fl-core/protocol';
import { formatTime, shortId } from '../../../format.ts';
import type { PagedRows } from '../../api/usePagedRows.ts';
import { FilterSelect, PageBody, PageControls, SortHeader } from './PageControls.tsx';

const CONNECTED = { true: 'online', false: 'offline' };

/** One page of the federation's devices, sorted and filtered by the coordinator. */
export function DevicesTable({ table }: { table: PagedRows<DeviceInfo> }) {
  return (
    <>
      <PageControls table={table} noun="device" filterLabel="Find device">
        <FilterSelect table={table} param="connected" label="Connected" any="online or not" options={CONNECTED} testId="devices-connected" />
      </PageControls>
      <PageBody
        table={table}
        noMatch="No device matches: change or clear the filter."
        empty="No device has joined yet: share the join link above."
        tableTestId="devices-table"
      >
        <thead>
          <tr>
            <SortHeader table={table} field="id" label="Device" />
            <th>Connected</th>
            <SortHeader table={table} field="state" label="State" />
            <th>Platform</th>
            <th>Backend</th>
            <th>Adapter</th>
            <SortHeader table={table} field="examples" label="Examples" numeric />
            <SortHeader table={table} field="rounds" label="Rounds" numeric />
            <SortHeader table={table} field="lastSeen" label="Last seen" />
          </tr>
        </thead>
        <tbody>
          {table.rows.map((d) => (
            <tr key={d.deviceId} data-testid="device-row" data-device-id={d.deviceId}>
              <td className="mono" title={d.deviceId}>
                {shortId(d.deviceId)}
              </td>
              <td>{d.connected ? 'yes' : 'no'}</td>
              <td>
                <span className={`state state-${d.state}`} data-state={d.state}>
                  {deviceStateWords(d.state)}
                </span>
              </td>
              <td data-testid="device-platform">{devicePlatformWords(d.platform, d.backend)}</td>
              <td>{d.backend ?? '—'}</td>
              <td>{d.adapter ? `${d.adapter.vendor} / ${d.adapter.architecture}` : '—'}</td>
              <td className="num">{d.examples}</td>
              <td className="num">{d.roundsContributed}</td>
              <td>{formatTime(d.lastSeen)}</td>
            </tr>
          ))}
        </tbody>
      </PageBody>
    </>
  );
}
