import { useEffect, useState } from 'react';
import { formatPercent } from '../format.ts';
import { postFederationAction, type FederationAction } from './adminApi.ts';
import { allowedActions } from './allowedActions.ts';
import { DevicesTable } from './DevicesTable.tsx';
import { EventLog } from './EventLog.tsx';
import { DeviceBytes } from './DeviceBytes.tsx';
import { FederatedEvaluation } from './FederatedEvaluation.tsx';
import { PrivacyBudget } from './PrivacyBudget.tsx';
import { JoinLink } from './JoinLink.tsx';
import { MetricsChart } from './MetricsChart.tsx';
import { ModelDownload } from './ModelDownload.tsx';
import { RoundCharts } from './RoundCharts.tsx';
import { RoundPolicy } from './RoundPolicy.tsx';
import { RoundsExport } from './RoundsExport.tsx';
import { RoundsTable } from './RoundsTable.tsx';
import { RoundTimeline } from './RoundTimeline.tsx';
import { useAdminSocket } from './useAdminSocket.ts';
import { useCanOperate } from './session.ts';
import { TryModel } from '../tryModel/TryModel.tsx';

interface DashboardProps {
  token: string;
  federationId: string;
  onUnauthorized: () => void;
  /** After an operator action succeeded: the federations list shows the new status. */
  onActed: () => void;
}

/** One federation, live: controls, join link, policy, model, charts, devices, rounds, event log. */
export function FederationDashboard({ token, federationId, onUnauthorized, onActed }: DashboardProps) {
  const feed = useAdminSocket(token, federationId);
  const canOperate = useCanOperate();
  const [actionError, setActionError] = useState<string | null>(null);
  const [pending, setPending] = useState<FederationAction | null>(null);
  const [confirmingStop, setConfirmingStop] = useState(false);

  useEffect(() => {
    if (feed.connection === 'unauthorized') onUnauthorized();
  }, [feed.connection, onUnauthorized]);

  const act = async (action: FederationAction) => {
    setConfirmingStop(false);
    setPending(action);
    setActionError(null);
    const result = await postFederationAction(token, federationId, action);
    setPending(null);
    if (result.ok) return onActed();
    if (result.status === 401) onUnauthorized();
    else setActionError(`${action} failed: ${result.reason}`);
  };

  const summary = feed.snapshot?.federation ?? null;
  const lastRound = feed.snapshot?.rounds.reduce<number | null>((best, r) => (best === null || r.round > best ? r.round : best), null);
  const lastRecord = feed.snapshot?.rounds.find((r) => r.round === lastRound) ?? null;
  const allowed = allowedActions(summary?.status);
  const button = (action: FederationAction, label: string, onClick: () => void = () => void act(action)) => (
    <button data-testid={action} onClick={onClick} disabled={pending !== null || !allowed.has(action)}>
      {label}
    </button>
  );

  return (
    <>
      <section className="card">
        <div className="controls">
          {canOperate && (
            <>
              {button('start', 'Start')}
              {button('pause', 'Pause')}
              {button('resume', 'Resume')}
              {button('stop', 'Stop…', () => setConfirmingStop(true))}
            </>
          )}
          <span className="connection">{feed.connection === 'connected' ? 'Live' : `Dashboard ${feed.connection}…`}</span>
        </div>
        {confirmingStop && allowed.has('stop') && (
          <div className="controls" data-testid="stop-confirmation">
            <span>Stopping is final: this federation cannot be started again. Its model stays downloadable.</span>
            <button data-testid="stop-confirm" onClick={() => void act('stop')} disabled={pending !== null}>
              Stop for good
            </button>
            <button data-testid="stop-cancel" onClick={() => setConfirmingStop(false)}>
              Cancel
            </button>
          </div>
        )}
        {actionError && (
          <p className="error" data-testid="action-error">
            {actionError}
          </p>
        )}
        {feed.problem && <p className="error">{feed.problem}</p>}
        <dl className="facts">
          <dt>Status</dt>
          <dd>
            <span data-testid="federation-status" className={summary ? `state state-${summary.status}` : undefined}>
              {summary?.status ?? '—'}
            </span>
          </dd>
          <dt>Round</dt>
          <dd>
            <span data-testid="current-round">{summary?.round ?? 0}</span>
            {summary && <span className="muted"> of {summary.config.maxRounds}</span>}
          </dd>
          <dt>Updates this round</dt>
          <dd>
            {!summary ? '—' : summary.selectedThisRound === 0 ? 'no round running' : `${summary.updatesThisRound} of ${summary.selectedThisRound} selected`}
          </dd>
          <dt>Global accuracy</dt>
          <dd data-testid="global-accuracy">{formatPercent(lastRecord?.accuracy)}</dd>
          <dt>Model</dt>
          <dd>
            {summary
              ? `${summary.config.model}, ${summary.config.training.epochs} epoch(s), batch ${summary.config.training.batchSize}, lr ${summary.config.training.learningRate}`
              : '—'}
          </dd>
        </dl>
      </section>

      {summary && (
        <section className="card">
          <h2>Join</h2>
          {canOperate && <JoinLink token={token} config={summary.config} />}
        </section>
      )}

      <section className="card">
        <h2>Round policy</h2>
        <RoundPolicy config={summary?.config ?? null} />
      </section>

      <section className="card">
        <h2>Global model</h2>
        <p>
          <ModelDownload token={token} federationId={federationId} />{' '}
          <span className="muted">
            (latest stored round, Flock weights file; <code>tf.loadLayersModel('/api/federations/{federationId}/model')</code> loads it in tfjs)
          </span>
        </p>
        <MetricsChart rounds={feed.snapshot?.rounds ?? []} />
        <RoundCharts rounds={feed.snapshot?.rounds ?? []} />
      </section>
      <FederatedEvaluation token={token} federationId={federationId} rounds={feed.snapshot?.rounds ?? []} />
      <DeviceBytes token={token} federationId={federationId} rounds={feed.snapshot?.rounds ?? []} />
      <PrivacyBudget config={summary?.config ?? null} rounds={feed.snapshot?.rounds ?? []} />
      <TryModel federationId={federationId} dataset={summary?.config.dataset ?? null} modelToken={() => Promise.resolve(token)} />

      <section className="card">
        <h2>Devices ({feed.snapshot?.devices.filter((d) => d.connected).length ?? 0} connected)</h2>
        <DevicesTable devices={feed.snapshot?.devices ?? []} />
      </section>

      <section className="card">
        <div className="controls">
          <h2>Rounds</h2>
          <RoundsExport token={token} federationId={federationId} />
        </div>
        <RoundTimeline rounds={feed.snapshot?.rounds ?? []} />
        <RoundsTable rounds={feed.snapshot?.rounds ?? []} />
      </section>

      <section className="card">
        <h2>Event log</h2>
        <EventLog events={feed.events} warnings={feed.warnings} />
      </section>
    </>
  );
}
