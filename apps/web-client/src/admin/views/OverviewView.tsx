import type { ConsoleSnapshot, RoundSeries } from '@flock/fl-core/protocol';
import { useState } from 'react';
import { formatBytes, formatDuration, formatPercent } from '../../format.ts';
import { postFederationAction, type ApiResult, type FederationAction } from '../api/adminApi.ts';
import { useCanOperate } from '../api/session.ts';
import { allowedActions } from './allowedActions.ts';
import { MetricsChart } from './charts/MetricsChart.tsx';

interface OverviewProps {
  token: string;
  federationId: string;
  snapshot: ConsoleSnapshot | null;
  series: ApiResult<RoundSeries> | null;
  changes: number;
  onUnauthorized: () => void;
}

const ACTION_WORDS: Record<FederationAction, string> = { start: 'Starting', pause: 'Pausing', resume: 'Resuming', stop: 'Stopping' };

/** One screen: status and controls, the key numbers, the accuracy/loss chart and the last round. */
export function OverviewView({ token, federationId, snapshot, series, onUnauthorized }: OverviewProps) {
  const canOperate = useCanOperate();
  const [actionError, setActionError] = useState<string | null>(null);
  const [pending, setPending] = useState<FederationAction | null>(null);
  const [confirmingStop, setConfirmingStop] = useState(false);

  const act = async (action: FederationAction) => {
    setConfirmingStop(false);
    setPending(action);
    setActionError(null);
    const result = await postFederationAction(token, federationId, action);
    setPending(null);
    if (result.ok) return;
    if (result.status === 401) onUnauthorized();
    else setActionError(`${ACTION_WORDS[action]} the federation did not work: ${result.reason}`);
  };

  const summary = snapshot?.federation ?? null;
  const last = snapshot?.lastRound ?? null;
  const counts = snapshot?.deviceCounts;
  const allowed = allowedActions(summary?.status);
  const button = (action: FederationAction, label: string, onClick: () => void = () => void act(action)) => (
    <button data-testid={action} onClick={onClick} disabled={pending !== null || !allowed.has(action)}>
      {label}
    </button>
  );

  return (
    <div className="overview">
      <section className="card">
        {canOperate && (
          <div className="controls">
            {button('start', 'Start')}
            {button('pause', 'Pause')}
            {button('resume', 'Resume')}
            {button('stop', 'Stop…', () => setConfirmingStop(true))}
          </div>
        )}
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
        <dl className="facts key-numbers">
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
          <dt>Devices</dt>
          <dd data-testid="device-counts">
            {counts ? (counts.total === 0 ? 'none yet' : `${counts.online} online, ${counts.training} training, ${counts.total} in all`) : '—'}
          </dd>
          <dt>Global accuracy</dt>
          <dd data-testid="global-accuracy">{formatPercent(last?.accuracy)}</dd>
          <dt>Model</dt>
          <dd>
            {summary
              ? `${summary.config.model}, ${summary.config.training.epochs} epoch(s), batch ${summary.config.training.batchSize}, learning rate ${summary.config.training.learningRate}`
              : '—'}
          </dd>
        </dl>
      </section>
      <section className="card">
        <h2>Accuracy and loss</h2>
        {series?.ok === false && <p className="error">Could not load the chart: {series.reason}. It is loaded again when the federation changes.</p>}
        <MetricsChart points={series?.ok ? series.value.points : []} height={240} />
        {series?.ok && series.value.rounds > series.value.points.length && (
          <p className="muted">
            Each point sums up {Math.ceil(series.value.rounds / series.value.points.length)} rounds ({series.value.rounds} in all).
          </p>
        )}
      </section>
      <section className="card" data-testid="last-round">
        <h2>Last round</h2>
        {last ? (
          <p>
            Round {last.round}: {last.participants} update{last.participants === 1 ? '' : 's'} from {last.examples.toLocaleString('en-US')} examples in{' '}
            {formatDuration(last.durationMs)}, accuracy {formatPercent(last.accuracy)}, {formatBytes(last.bytesDown)} down and {formatBytes(last.bytesUp)} up.
          </p>
        ) : (
          <p className="muted">No round has completed yet.</p>
        )}
      </section>
    </div>
  );
}
