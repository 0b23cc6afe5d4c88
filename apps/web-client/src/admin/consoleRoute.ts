import { FederationId } from '@flock/fl-core/protocol';

export const CONSOLE_VIEWS = ['overview', 'devices', 'rounds', 'events', 'privacy', 'tokens'] as const;
export type ConsoleView = (typeof CONSOLE_VIEWS)[number];

export const VIEW_TITLES: Record<ConsoleView, string> = {
  overview: 'Overview',
  devices: 'Devices',
  rounds: 'Rounds',
  events: 'Events',
  privacy: 'Privacy',
  tokens: 'Tokens',
};

/** Where the console is: the federations list (no federation), or one view of one federation. */
export type ConsoleRoute = { federationId: null } | { federationId: string; view: ConsoleView };

const FEDERATION_PATH = /^\/admin\/federations\/([^/]+)(?:\/([a-z]+))?\/?$/;

/**
 * Reads the console's place from the URL. `/admin?federation=ID` (the links of the one-page dashboard)
 * opens that federation's overview, so old bookmarks still land somewhere useful.
 */
export function parseConsoleRoute(pathname: string, search: string): ConsoleRoute {
  const match = FEDERATION_PATH.exec(pathname);
  if (match) {
    const federationId = decodeURIComponent(match[1]!);
    const view = CONSOLE_VIEWS.find((v) => v === (match[2] ?? 'overview'));
    if (FederationId.safeParse(federationId).success && view) return { federationId, view };
    return { federationId: null };
  }
  const legacy = new URLSearchParams(search).get('federation');
  return legacy && FederationId.safeParse(legacy).success ? { federationId: legacy, view: 'overview' } : { federationId: null };
}

export function consolePath(route: ConsoleRoute): string {
  if (route.federationId === null) return '/admin';
  const base = `/admin/federations/${encodeURIComponent(route.federationId)}`;
  return route.view === 'overview' ? base : `${base}/${route.view}`;
}
