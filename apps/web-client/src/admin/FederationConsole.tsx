import { useEffect, type MouseEvent } from 'react';
import { useCanOperate } from './api/session.ts';
import { useConsoleFeed } from './api/useConsoleFeed.ts';
import { useRoundSeries } from './api/useRoundSeries.ts';
import { CONSOLE_VIEWS, VIEW_TITLES, consolePath, type ConsoleRoute, type ConsoleView } from './consoleRoute.ts';
import { DevicesView, EventsView, PrivacyView, RoundsView, type ViewProps } from './views/ConsoleViews.tsx';
import { DataView } from './views/DataView.tsx';
import { OverviewView } from './views/OverviewView.tsx';
import { TokensPanel } from './views/TokensPanel.tsx';

interface ConsoleProps {
  token: string;
  federationId: string;
  view: ConsoleView;
  navigate: (route: ConsoleRoute) => void;
  onUnauthorized: () => void;
}

/** A link that changes the view without reloading the page, and still opens in a new tab. */
export function ConsoleLink({
  route,
  navigate,
  children,
  ...rest
}: {
  route: ConsoleRoute;
  navigate: (route: ConsoleRoute) => void;
  children: React.ReactNode;
  className?: string;
  'data-testid'?: string;
  'aria-current'?: 'page';
}) {
  const open = (event: MouseEvent) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    event.preventDefault();
    navigate(route);
  };
  return (
    <a href={consolePath(route)} onClick={open} {...rest}>
      {children}
    </a>
  );
}

export interface ConsoleTab {
  title: string;
  route: ConsoleRoute;
  testId: string;
  current: boolean;
}

/** A row of tabs, each a ConsoleLink to its place; the current one is marked for the eye and for screen readers. */
export function ConsoleTabs({ label, tabs, navigate }: { label: string; tabs: ConsoleTab[]; navigate: (route: ConsoleRoute) => void }) {
  return (
    <nav className="console-nav" aria-label={label}>
      {tabs.map((t) => (
        <ConsoleLink key={t.testId} route={t.route} navigate={navigate} data-testid={t.testId} {...(t.current ? { 'aria-current': 'page' as const } : {})}>
          {t.title}
        </ConsoleLink>
      ))}
    </nav>
  );
}

const CONNECTION_WORDS = { connecting: 'Connecting…', reconnecting: 'Connection lost: reconnecting…', unauthorized: 'Signed out', connected: 'Live' } as const;

/** One federation's console: its views as tabs, each with its own URL, over one live feed. */
export function FederationConsole({ token, federationId, view, navigate, onUnauthorized }: ConsoleProps) {
  const feed = useConsoleFeed(token, federationId);
  const canOperate = useCanOperate();
  const chartsShown = view === 'overview' || view === 'rounds' || view === 'privacy';
  const series = useRoundSeries(token, federationId, chartsShown ? feed.changes : -1);

  useEffect(() => {
    if (feed.connection === 'unauthorized') onUnauthorized();
  }, [feed.connection, onUnauthorized]);

  const props: ViewProps = { token, federationId, snapshot: feed.snapshot, series, changes: feed.changes };
  return (
    <>
      <div className="console-head">
        <ConsoleLink route={{ federationId: null }} navigate={navigate} data-testid="all-federations">
          ← All federations
        </ConsoleLink>
        <h2 className="selected-federation" data-testid="selected-federation">
          Federation “{federationId}”{feed.snapshot && <span className="muted"> {feed.snapshot.federation.config.name}</span>}
        </h2>
        <span className="connection" data-testid="connection-state">
          {CONNECTION_WORDS[feed.connection]}
        </span>
      </div>
      <ConsoleTabs
        label="Federation views"
        navigate={navigate}
        tabs={CONSOLE_VIEWS.map((v) => ({ title: VIEW_TITLES[v], route: { federationId, view: v }, testId: `view-${v}`, current: v === view }))}
      />
      {feed.problem && <p className="error">{feed.problem}</p>}
      <div data-testid={`console-${view}`}>
        {view === 'overview' && <OverviewView {...props} onUnauthorized={onUnauthorized} />}
        {view === 'devices' && <DevicesView {...props} />}
        {view === 'rounds' && <RoundsView {...props} />}
        {view === 'events' && <EventsView {...props} />}
        {view === 'privacy' && <PrivacyView {...props} />}
        {view === 'data' && <DataView {...props} />}
        {view === 'tokens' &&
          (canOperate ? (
            <TokensPanel token={token} federationId={federationId} />
          ) : (
            <p className="card muted">
              Only an administrator can see and mint tokens; this session is read-only. Ask an administrator for a device or viewer token.
            </p>
          ))}
      </div>
    </>
  );
}
