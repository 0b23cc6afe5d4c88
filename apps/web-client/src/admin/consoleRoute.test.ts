import { describe, expect, it } from 'vitest';
import { consolePath, parseConsoleRoute } from './consoleRoute.ts';

describe('console routes', () => {
  it('opens each view of a federation from its own URL', () => {
    expect(parseConsoleRoute('/admin/federations/demo', '')).toEqual({ federationId: 'demo', view: 'overview' });
    expect(parseConsoleRoute('/admin/federations/demo/devices', '?sort=-lastSeen')).toEqual({ federationId: 'demo', view: 'devices' });
    expect(parseConsoleRoute('/admin/federations/demo/tokens/', '')).toEqual({ federationId: 'demo', view: 'tokens' });
    expect(parseConsoleRoute('/admin/federations/demo/data', '')).toEqual({ federationId: 'demo', view: 'data' });
  });

  it('writes the URL it reads back', () => {
    for (const view of ['overview', 'devices', 'rounds', 'events', 'privacy', 'data', 'tokens'] as const) {
      const route = { federationId: 'mnist-1', view };
      expect(parseConsoleRoute(consolePath(route), '')).toEqual(route);
    }
    expect(consolePath({ federationId: null })).toBe('/admin');
  });

  it('opens the coordinators page from its own URL and writes that URL back', () => {
    expect(parseConsoleRoute('/admin/coordinators', '')).toEqual({ federationId: null, page: 'coordinators' });
    expect(consolePath({ federationId: null, page: 'coordinators' })).toBe('/admin/coordinators');
    expect(consolePath({ federationId: null, page: 'federations' })).toBe('/admin');
  });

  it('sends an old ?federation= link to that federation overview', () => {
    expect(parseConsoleRoute('/admin', '?federation=demo')).toEqual({ federationId: 'demo', view: 'overview' });
  });

  it('shows the federations list for an unknown view or a malformed id', () => {
    expect(parseConsoleRoute('/admin/federations/demo/nope', '')).toEqual({ federationId: null });
    expect(parseConsoleRoute('/admin/federations/%20bad%20id', '')).toEqual({ federationId: null });
    expect(parseConsoleRoute('/admin', '')).toEqual({ federationId: null });
  });
});
