import type { Express } from 'express';
import { match } from 'path-to-regexp';
import { REQUIRED_ROLE } from './guard.ts';
import type { RouteRole } from './principal.ts';

export interface RouteEntry {
  method: string;
  path: string;
  /** The role its first handler, an `allow` guard, demands; null when it has none (a bug the route table test catches). */
  role: RouteRole | null;
}

interface LayerLike {
  handle: ((...args: unknown[]) => unknown) & { stack?: LayerLike[]; [REQUIRED_ROLE]?: RouteRole };
  rawPath?: string | RegExp;
  route?: { path: string; methods: Record<string, boolean>; stack: LayerLike[] };
}

/** Every route registered on the app (mounted routers included), with the role it declares. */
export function listRoutes(app: Express): RouteEntry[] {
  const router = (app as unknown as { router: { stack: LayerLike[] } }).router;
  return walk(router.stack, '');
}

function walk(stack: LayerLike[], prefix: string): RouteEntry[] {
  return stack.flatMap((layer): RouteEntry[] => {
    if (layer.route) {
      const { route } = layer;
      // The guard must come first: nothing may run for a caller it would refuse.
      const role = route.stack[0]?.handle[REQUIRED_ROLE] ?? null;
      return Object.keys(route.methods)
        .filter((m) => route.methods[m] && m !== '_all')
        .map((method) => ({ method: method.toUpperCase(), path: `${prefix}${route.path}`, role }));
    }
    const nested = layer.handle.stack;
    if (!nested) return [];
    const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
    return walk(nested, `${prefix}${mount}`);
  });
}

/**
 * The route a request path belongs to, matched as express matches it but without decoding, so a
 * path whose percent-escapes are broken still finds its route; undefined when none matches.
 */
export function routeOf(routes: readonly RouteEntry[], method: string, path: string): RouteEntry | undefined {
  return routes.find((r) => r.method === method && match(r.path, { decode: false })(path) !== false);
}
