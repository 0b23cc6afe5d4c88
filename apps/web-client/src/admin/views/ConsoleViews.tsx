import { DeviceInfo, DeviceRoundBytes, EventLogEntry, RoundRecord, type ConsoleSnapshot, type RoundSeries } from '@flock/fl-core/protocol';
import { TryModel } from '../../tryModel/TryModel.tsx';
import type { ApiResult } from '../api/adminApi.ts';
import { useCanOperate } from '../api/session.ts';
import { usePagedRows } from '../api/usePagedRows.ts';
import { PrivacyBudget } from './charts/PrivacyBudget.tsx';
import { RoundCharts } from './charts/RoundCharts.tsx';
import { RoundTimeline } from './charts/RoundTimeline.tsx';
import { FederatedEvaluation } from './FederatedEvaluation.tsx';
import { JoinLink } from './JoinLink.tsx';
import { ModelDownload } from './ModelDownload.tsx';
import { RoundPolicy } from './RoundPolicy.tsx';
import { RoundsExport } from './RoundsExport.tsx';
import { DeviceBytes } from './tables/DeviceBytes.tsx';
import { DevicesTable } from './tables/DevicesTable.tsx';
import { EventLog } from './tables/EventLog.tsx';
import { RoundsTable } from './tables/RoundsTable.tsx';

export interface ViewProps {
  token: string;
  federationId: string;
  snapshot: ConsoleSnapshot | null;
  series: ApiResult<RoundSeries> | null;
  /** Goes up when the live feed says the federation changed. */
  changes: number;
}

const apiPath = (federationId: string, route: string) => `/api/federations/${encodeURIComponent(federationId)}/${route}`;

// The URL parameters each table keeps (module constants: the hook's effects depend on them).
const DEVICE_KEYS = ['sort', 'filter', 'connected'] as const;
const ROUND_KEYS = ['sort', 'filter', 'closedBy'] as const;
const BYTES_KEYS = ['sort', 'filter', 'round'] as const;
const EVENT_KEYS = ['filter', 'kind', 'level'] as const;

export function DevicesView({ token, federationId, snapshot, changes }: ViewProps) {
  const canOperate = useCanOperate();
  const table = usePagedRows({ token, path: apiPath(federationId, 'devices'), item: DeviceInfo, keys: DEVICE_KEYS, refreshKey: changes });
  const counts = snapshot?.deviceCounts;
  return (
    <>
      {canOperate && snapshot && (
        <section className="card">
          <h2>Join</h2>
          <JoinLink token={token} config={snapshot.federation.config} />
        </section>
      )}
      <section className="card">
        <h2>Devices{counts ? ` (${counts.online} online of ${counts.total})` : ''}</h2>
        <DevicesTable table={table} />
      </section>
    </>
  );
}

export function RoundsView({ token, federationId, snapshot, series, changes }: ViewProps) {
  const rounds = usePagedRows({ token, path: apiPath(federationId, 'rounds'), item: RoundRecord, keys: ROUND_KEYS, refreshKey: changes });
  const bytes = usePagedRows({
    token,
    path: apiPath(federationId, 'device-bytes'),
    item: DeviceRoundBytes,
    keys: BYTES_KEYS,
    prefix: 'bytes-',
    refreshKey: changes,
  });
  const points = series?.ok ? series.value.points : [];
  return (
    <>
      <section className="card">
        <div className="controls">
          <h2>Rounds</h2>
          <RoundsExport token={token} federationId={federationId} />
        </div>
        {series?.ok === false && <p className="error">Could not load the charts: {series.reason}. They are loaded again when the federation changes.</p>}
        <RoundCharts points={points} />
        <RoundTimeline rounds={rounds.rows} />
        <RoundsTable table={rounds} />
      </section>
      <DeviceBytes table={bytes} />
      <FederatedEvaluation token={token} federationId={federationId} points={points} refreshKey={changes} />
      <section className="card">
        <h2>Global model</h2>
        <p>
          <ModelDownload token={token} federationId={federationId} />{' '}
          <span className="muted">
            (latest stored round, Flock weights file; <code>tf.loadLayersModel('/api/federations/{federationId}/model')</code> loads it in tfjs)
          </span>
        </p>
        <h3>Round policy</h3>
        <RoundPolicy config={snapshot?.federation.config ?? null} />
      </section>
      <TryModel federationId={federationId} dataset={snapshot?.federation.config.dataset ?? null} modelToken={() => Promise.resolve(token)} />
    </>
  );
}

export function EventsView({ token, federationId, changes }: ViewProps) {
  const table = usePagedRows({ token, path: apiPath(federationId, 'events'), item: EventLogEntry, keys: EVENT_KEYS, refreshKey: changes });
  return (
    <section className="card">
      <h2>Event log</h2>
      <EventLog table={table} />
    </section>
  );
}

export function PrivacyView({ snapshot, series }: ViewProps) {
  return (
    <PrivacyBudget
      config={snapshot?.federation.config ?? null}
      points={series?.ok ? series.value.points : []}
      spend={snapshot?.federation.privacySpend ?? null}
    />
  );
}
