import type { FederationSummary } from '@flock/fl-core/protocol';
import { useCallback, useEffect, useState } from 'react';
import { listFederations } from './api/adminApi.ts';
import { loadAdminToken, saveAdminToken } from './api/adminTokenStorage.ts';
import { RoleContext, roleOfSession } from './api/session.ts';
import { HOME_PAGE_TITLES, HOME_PAGES, consolePath, parseConsoleRoute, type ConsoleRoute, type HomePage } from './consoleRoute.ts';
import { ConsoleTabs, FederationConsole } from './FederationConsole.tsx';
import { FederationsPanel } from './FederationsPanel.tsx';
import { FederationForm } from './form/FederationForm.tsx';
import { LoginPage } from './LoginPage.tsx';
import { CoordinatorsView } from './views/CoordinatorsView.tsx';
import './admin.css';

const WRONG_TOKEN = 'wrong token';
/** The list is cheap: refreshed this often so other operators' changes show up. */
const LIST_REFRESH_MS = 5_000;

/** The console's place, from the URL; links and the browser's back button move it. */
function useConsoleRoute(): [ConsoleRoute, (route: ConsoleRoute) => void] {
  const [route, setRoute] = useState(() => {
    const first = parseConsoleRoute(window.location.pathname, window.location.search);
    // An old `/admin?federation=ID` link: show the URL of the view it opened.
    if (window.location.pathname !== consolePath(first)) window.history.replaceState(null, '', consolePath(first));
    return first;
  });
  useEffect(() => {
    const back = () => setRoute(parseConsoleRoute(window.location.pathname, window.location.search));
    window.addEventListener('popstate', back);
    return () => window.removeEventListener('popstate', back);
  }, []);
  const navigate = useCallback((next: ConsoleRoute) => {
    window.history.pushState(null, '', consolePath(next));
    setRoute(next);
    window.scrollTo(0, 0);
  }, []);
  return [route, navigate];
}

export function AdminPage() {
  const [token, setToken] = useState<string | null>(() => loadAdminToken());
  const [loginError, setLoginError] = useState<string | null>(null);
  const [route, navigate] = useConsoleRoute();

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
        <h1>Flock console</h1>
      </header>
      {!token ? (
        <LoginPage error={loginError} onSignedIn={signIn} />
      ) : (
        <RoleContext.Provider value={roleOfSession(token)}>
          {route.federationId === null ? (
            <>
              <HomeNav page={route.page ?? 'federations'} navigate={navigate} />
              {route.page === 'coordinators' ? (
                <CoordinatorsView token={token} onUnauthorized={rejectToken} />
              ) : (
                <Federations token={token} navigate={navigate} onUnauthorized={rejectToken} />
              )}
            </>
          ) : (
            <FederationConsole
              key={route.federationId}
              token={token}
              federationId={route.federationId}
              view={route.view}
              navigate={navigate}
              onUnauthorized={rejectToken}
            />
          )}
        </RoleContext.Provider>
      )}
    </main>
  );
}

/** The console's pages about no one federation, as tabs. */
function HomeNav({ page, navigate }: { page: HomePage; navigate: (route: ConsoleRoute) => void }) {
  return (
    <ConsoleTabs
      label="Console pages"
      navigate={navigate}
      tabs={HOME_PAGES.map((p) => ({ title: HOME_PAGE_TITLES[p], route: { federationId: null, page: p }, testId: `page-${p}`, current: p === page }))}
    />
  );
}

type FormState = { kind: 'closed' } | { kind: 'new' } | { kind: 'edit'; summary: FederationSummary };

/** The federations list and the create/edit form (`/admin`); a federation's id opens its console. */
function Federations({ token, navigate, onUnauthorized }: { token: string; navigate: (route: ConsoleRoute) => void; onUnauthorized: () => void }) {
  const [selected, setSelected] = useState('');
  const [federations, setFederations] = useState<FederationSummary[]>([]);
  const [showArchived, setShowArchived] = useState(false);
  const [form, setForm] = useState<FormState>({ kind: 'closed' });
  const [problem, setProblem] = useState<string | null>(null);

  const refresh = useCallback(async () => {
    const listed = await listFederations(token, showArchived);
    if (listed.ok) {
      setFederations(listed.value);
      setProblem(null);
    } else if (listed.status === 401) onUnauthorized();
    else setProblem(`Could not list the federations: ${listed.reason}. The list is asked for again every few seconds.`);
  }, [token, showArchived, onUnauthorized]);

  useEffect(() => {
    void refresh();
    const timer = setInterval(() => void refresh(), LIST_REFRESH_MS);
    return () => clearInterval(timer);
  }, [refresh]);

  return (
    <>
      <FederationsPanel
        token={token}
        federations={federations}
        selected={selected}
        showArchived={showArchived}
        onShowArchived={setShowArchived}
        onSelect={setSelected}
        navigate={navigate}
        onNew={() => setForm({ kind: 'new' })}
        onEdit={(summary) => setForm({ kind: 'edit', summary })}
        onChanged={(next) => {
          if (next) setSelected(next);
          void refresh();
        }}
      />
      {problem && <p className="error">{problem}</p>}
      {form.kind !== 'closed' && (
        <FederationForm
          key={form.kind === 'edit' ? form.summary.config.id : 'new'}
          token={token}
          {...(form.kind === 'edit' ? { editing: form.summary.config } : {})}
          onSaved={(summary) => navigate({ federationId: summary.config.id, view: 'overview' })}
          onCancel={() => setForm({ kind: 'closed' })}
        />
      )}
    </>
  );
}
