import { FederationId } from '@flock/fl-core/protocol';

export const CONSOLE_VIEWS = ['overview', 'devices', 'rounds', 'events', 'privacy', 'data', 'tokens'] as const;
export type ConsoleView = (typeof CONSOLE_VIEWS)[number];

export const VIEW_TITLES: Record<ConsoleView, string> = {
  overview: 'Overview',
  devices: 'Devices',
  rounds: 'Rounds',
  events: 'Events',
  privacy: 'Privacy',
  data: 'Data',
  tokens: 'Tokens',
};

/** Pages about no one federation: the federations list (the console's home) and the coordinators. */
export const HOME_PAGES = ['federations', 'coordinators'] as const;
export type HomePage = (typeof HOME_PAGES)[number];

export const HOME_PAGE_TITLES: Record<HomePage, string> = { federations: 'Federations', coordinators: 'Coordinators' };

/** Where the console is: a page about no one federation (no page: the federations list), or one view of one federation. */
export type ConsoleRoute = { federationId: null; page?: HomePage } | { federationId: string; view: ConsoleView };

const COORDINATORS_PATH = /^\/admin\/coordinators\/?$/;
const FEDERATION_PATH = /^\/admin\/federations\/([^/]+)(?:\/([a-z]+))?\/?$/;

/**
 * Reads the console's place from the URL. `/admin?federation=ID` (the links of the one-page dashboard)
 * opens that federation's overview, so old bookmarks still land somewhere useful.
 */
export function parseConsoleRoute(pathname: string, search: string): ConsoleRoute {
  if (COORDINATORS_PATH.test(pathname)) return { federationId: null, page: 'coordinators' };
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
  if (route.federationId === null) return route.page === 'coordinators' ? '/admin/coordinators' : '/admin';
  const base = `/admin/federations/${encodeURIComponent(route.federationId)}`;
  return route.view === 'overview' ? base : `${base}/${route.view}`;
}
