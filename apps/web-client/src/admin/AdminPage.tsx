import { useEffect, useMemo, useState } from 'react';
import { federationFromQuery } from '../device/queryParams.ts';
import { formatPercent } from '../format.ts';
import { postFederationAction, type FederationAction } from './adminApi.ts';
import { loadAdminToken, saveAdminToken } from './adminToken.ts';
import { DevicesTable } from './DevicesTable.tsx';
import { EventLog } from './EventLog.tsx';
import { MetricsChart } from './MetricsChart.tsx';
import { RoundsTable } from './RoundsTable.tsx';
import { TokenPrompt } from './TokenPrompt.tsx';
import { useAdminSocket } from './useAdminSocket.ts';

const WRONG_TOKEN = 'wrong token';

export function AdminPage() {
  const federationId = useMemo(() => federationFromQuery(window.location.search), []);
  const [token, setToken] = useState<string | null>(() => loadAdminToken());
  const [loginError, setLoginError] = useState<string | null>(null);

  const signIn = (value: string) => {
    saveAdminToken(value);
    setLoginError(null);
    setToken(value);
  };
  const rejectToken = () => {
    saveAdminToken(null);
    setToken(null);
    setLoginError(WRONG_TOKEN);
  };

  return (
    <main className="page admin">
      <header>
        <h1>Flock dashboard</h1>
        <p className="muted">Federation “{federationId}”</p>
      </header>
      {token ? (
        <Dashboard token={token} federationId={federationId} onUnauthorized={rejectToken} />
      ) : (
        <TokenPrompt error={loginError} onSubmit={signIn} />
      )}
    </main>
  );
}

interface DashboardProps {
  token: string;
  federationId: string;
  onUnauthorized: () => void;
}

function Dashboard({ token, federationId, onUnauthorized }: DashboardProps) {
  const feed = useAdminSocket(token, federationId);
  const [actionError, setActionError] = useState<string | null>(null);
  const [pending, setPending] = useState<FederationAction | null>(null);

  useEffect(() => {
    if (feed.connection === 'unauthorized') onUnauthorized();
  }, [feed.connection, onUnauthorized]);

  const act = async (action: FederationAction) => {
    setPending(action);
    setActionError(null);
    const result = await postFederationAction(token, federationId, action);
    setPending(null);
    if (result.ok) return;
    if (result.status === 401) onUnauthorized();
    else setActionError(`${action} failed: ${result.reason}`);
  };

  const summary = feed.snapshot?.federation ?? null;
  const lastRound = feed.snapshot?.rounds.reduce<number | null>((best, r) => (best === null || r.round > best ? r.round : best), null);
  const lastRecord = feed.snapshot?.rounds.find((r) => r.round === lastRound) ?? null;

  return (
    <>
      <section className="card">
        <div className="controls">
          <button data-testid="start" onClick={() => void act('start')} disabled={pending !== null}>
            Start
          </button>
          <button data-testid="stop" onClick={() => void act('stop')} disabled={pending !== null}>
            Stop
          </button>
          <span className="connection">{feed.connection === 'connected' ? 'Live' : `Dashboard ${feed.connection}…`}</span>
        </div>
        {actionError && (
          <p className="error" data-testid="action-error">
            {actionError}
          </p>
        )}
        {feed.problem && <p className="error">{feed.problem}</p>}
        <dl className="facts">
          <dt>Status</dt>
          <dd>
            <span data-testid="federation-status">{summary?.status ?? '—'}</span>
          </dd>
          <dt>Round</dt>
          <dd>
            <span data-testid="current-round">{summary?.round ?? 0}</span>
            {summary && <span className="muted"> of {summary.config.maxRounds}</span>}
          </dd>
          <dt>Updates this round</dt>
          <dd>
            {summary ? `${summary.updatesThisRound} of ${summary.selectedThisRound} selected` : '—'}
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

      <section className="card">
        <h2>Global model</h2>
        <MetricsChart rounds={feed.snapshot?.rounds ?? []} />
      </section>

      <section className="card">
        <h2>Devices ({feed.snapshot?.devices.filter((d) => d.connected).length ?? 0} connected)</h2>
        <DevicesTable devices={feed.snapshot?.devices ?? []} />
      </section>

      <section className="card">
        <h2>Rounds</h2>
        <RoundsTable rounds={feed.snapshot?.rounds ?? []} />
      </section>

      <section className="card">
        <h2>Event log</h2>
        <EventLog events={feed.events} />
      </section>
    </>
  );
}
