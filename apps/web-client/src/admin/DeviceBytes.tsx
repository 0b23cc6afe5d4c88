import { DeviceRoundBytes, type RoundRecord } from '@flock/fl-core/protocol';
import { useEffect, useState } from 'react';
import { z } from 'zod';
import { formatBytes, shortId } from '../format.ts';

const ROUNDS_SHOWN = 10;

interface DeviceBytesProps {
  token: string;
  federationId: string;
  /** A new stored round triggers a reload. */
  rounds: RoundRecord[];
}

type Loaded = { ok: true; rows: DeviceRoundBytes[] } | { ok: false; reason: string } | null;

/** `GET /api/federations/<id>/device-bytes` with the dashboard's token. */
async function fetchDeviceBytes(token: string, federationId: string): Promise<Loaded> {
  try {
    const response = await fetch(`/api/federations/${encodeURIComponent(federationId)}/device-bytes?rounds=${ROUNDS_SHOWN}`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    if (!response.ok) return { ok: false, reason: `HTTP ${response.status}` };
    const parsed = z.array(DeviceRoundBytes).safeParse(await response.json());
    return parsed.success ? { ok: true, rows: parsed.data } : { ok: false, reason: 'the device bytes reply is malformed' };
  } catch (err) {
    return { ok: false, reason: `coordinator not reachable: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** What each device sent (its update) and was sent (the global model) in each of the last rounds it contributed to. */
export function DeviceBytes({ token, federationId, rounds }: DeviceBytesProps) {
  const [loaded, setLoaded] = useState<Loaded>(null);
  const completed = rounds.length;

  useEffect(() => {
    let current = true;
    void fetchDeviceBytes(token, federationId).then((result) => current && setLoaded(result));
    return () => {
      current = false;
    };
  }, [token, federationId, completed]);

  return (
    <section className="card" data-testid="device-bytes">
      <h2>Bytes per device</h2>
      {loaded?.ok === false && <p className="error">{loaded.reason}</p>}
      {loaded?.ok && loaded.rows.length === 0 && <p className="muted">No round has been stored with per-device bytes yet.</p>}
      {loaded?.ok && loaded.rows.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>Round</th>
              <th>Device</th>
              <th>Up (update)</th>
              <th>Down (model)</th>
            </tr>
          </thead>
          <tbody>
            {loaded.rows.map((r) => (
              <tr key={`${r.round}/${r.deviceId}`} data-testid="device-bytes-row">
                <td>{r.round}</td>
                <td title={r.deviceId}>{shortId(r.deviceId)}</td>
                <td>{formatBytes(r.bytesUp)}</td>
                <td>{r.bytesDown === null ? '–' : formatBytes(r.bytesDown)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
