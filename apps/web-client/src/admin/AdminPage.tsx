import type { FederationSummary } from '@flock/fl-core/protocol';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { federationFromQuery } from '../device/queryParams.ts';
import { listFederations } from './adminApi.ts';
import { loadAdminToken, saveAdminToken } from './adminToken.ts';
import { FederationDashboard } from './FederationDashboard.tsx';
import { FederationForm } from './FederationForm.tsx';
import { FederationsPanel } from './FederationsPanel.tsx';
import { LoginPage } from './LoginPage.tsx';
import { RoleContext, roleOfSession, useCanOperate } from './session.ts';
import { TokensPanel } from './TokensPanel.tsx';
import './admin.css';

const WRONG_TOKEN = 'wrong token';
/** The list is cheap: refreshed this often so other operators' changes show up. */
const LIST_REFRESH_MS = 5_000;

export function AdminPage() {
  const [token, setToken] = useState<string | null>(() => loadAdminToken());
  const [loginError, setLoginError] = useState<string | null>(null);

  const signIn = (value: string) => {
    saveAdminToken(value);
    setLoginError(null);
    setToken(value);
  };
  const rejectToken = useCallback(() => {
    saveAdminToken(null);
    setToken(null);
    setLoginError(WRONG_TOKEN);
  }, []);

  return (
    <main className="page admin">
      <header>
        <h1>Flock dashboard</h1>
      </header>
      {token ? (
        <RoleContext.Provider value={roleOfSession(token)}>
          <Federations token={token} onUnauthorized={rejectToken} />
        </RoleContext.Provider>
      ) : (
        <LoginPage error={loginError} onSignedIn={signIn} />
      )}
    </main>
  );
}

type FormState = { kind: 'closed' } | { kind: 'new' } | { kind: 'edit'; summary: FederationSummary };

/** The federations list, the form, and the selected federation's live dashboard (`?federation=ID`). */
function Federations({ token, onUnauthorized }: { token: string; onUnauthorized: () => void }) {
  const initial = useMemo(() => federationFromQuery(window.location.search), []);
  const [selected, setSelected] = useState(initial);
  const [federations, setFederations] = useState<FederationSummary[]>([]);
  const [showArchived, setShowArchived] = useState(false);
  const [form, setForm] = useState<FormState>({ kind: 'closed' });
  const [problem, setProblem] = useState<string | null>(null);
  const canOperate = useCanOperate();

  const select = useCallback((federationId: string) => {
    setSelected(federationId);
    const url = new URL(window.location.href);
    url.searchParams.set('federation', federationId);
    window.history.replaceState(null, '', url);
  }, []);

  const refresh = useCallback(async () => {
    const listed = await listFederations(token, showArchived);
    if (listed.ok) {
      setFederations(listed.value);
      setProblem(null);
    } else if (listed.status === 401) onUnauthorized();
    else setProblem(`could not list the federations: ${listed.reason}`);
  }, [token, showArchived, onUnauthorized]);

  useEffect(() => {
    void refresh();
    const timer = setInterval(() => void refresh(), LIST_REFRESH_MS);
    return () => clearInterval(timer);
  }, [refresh]);

  const saved = (summary: FederationSummary) => {
    setForm({ kind: 'closed' });
    select(summary.config.id);
    void refresh();
  };

  return (
    <>
      <FederationsPanel
        token={token}
        federations={federations}
        selected={selected}
        showArchived={showArchived}
        onShowArchived={setShowArchived}
        onSelect={select}
        onNew={() => setForm({ kind: 'new' })}
        onEdit={(summary) => setForm({ kind: 'edit', summary })}
        onChanged={(next) => {
          if (next) select(next);
          void refresh();
        }}
      />
      {problem && <p className="error">{problem}</p>}
      {form.kind !== 'closed' && (
        <FederationForm
          key={form.kind === 'edit' ? form.summary.config.id : 'new'}
          token={token}
          {...(form.kind === 'edit' ? { editing: form.summary.config } : {})}
          onSaved={saved}
          onCancel={() => setForm({ kind: 'closed' })}
        />
      )}
      <h2 className="selected-federation" data-testid="selected-federation">
        Federation “{selected}”
      </h2>
      <FederationDashboard key={selected} token={token} federationId={selected} onUnauthorized={onUnauthorized} onActed={() => void refresh()} />
      {canOperate && <TokensPanel token={token} federationId={selected} />}
    </>
  );
}
