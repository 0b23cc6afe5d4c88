import type { DeviceInfo } from '@flock/fl-core/protocol';
import { formatTime, shortId } from '../format.ts';

export function DevicesTable({ devices }: { devices: DeviceInfo[] }) {
  if (devices.length === 0) return <p className="muted">No device has joined yet.</p>;
  return (
    <table className="table" data-testid="devices-table">
      <thead>
        <tr>
          <th>Device</th>
          <th>Connected</th>
          <th>State</th>
          <th>Backend</th>
          <th>Adapter</th>
          <th className="num">Examples</th>
          <th className="num">Rounds</th>
          <th>Last seen</th>
        </tr>
      </thead>
      <tbody>
        {devices.map((d) => (
          <tr key={d.deviceId} data-testid="device-row" data-device-id={d.deviceId}>
            <td className="mono" title={d.deviceId}>
              {shortId(d.deviceId)}
            </td>
            <td>{d.connected ? 'yes' : 'no'}</td>
            <td>
              <span className={`state state-${d.state}`}>{d.state}</span>
            </td>
            <td>{d.backend ?? '—'}</td>
            <td>{d.adapter ? `${d.adapter.vendor} / ${d.adapter.architecture}` : '—'}</td>
            <td className="num">{d.examples}</td>
            <td className="num">{d.roundsContributed}</td>
            <td>{formatTime(d.lastSeen)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
