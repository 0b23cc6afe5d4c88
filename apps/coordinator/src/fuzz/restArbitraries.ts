import { FederationConfig } from '@flock/fl-core';
import fc from 'fast-check';
import type { RouteEntry } from '../auth/routeTable.ts';
import { junk, mutated } from './junkArbitraries.ts';

export type Caller = 'none' | 'garbage' | 'admin';

export interface RestRequest {
  caller: Caller;
  garbageToken: string;
  method: string;
  path: string;
  contentType: string;
  /** Sent as is (a string may be broken JSON on purpose); undefined sends no body. */
  body: string | undefined;
}

/** A federation config the coordinator would accept, to mutate. */
export const VALID_CONFIG = {
  id: 'fuzz-created',
  name: 'fuzz',
  model: 'mnist-mlp',
  dataset: { kind: 'mnist', partition: 'iid', examplesPerDevice: 20, numDevices: 2, seed: 1 },
  training: { epochs: 1, batchSize: 10, learningRate: 0.1 },
  maxRounds: 2,
  minDevices: 1,
  clientsPerRound: 'all',
  quorum: 0.5,
  evalExamples: 20,
  modelSeed: 1,
};

const pathSegment = fc.oneof(
  fc.constantFrom('demo', 'fuzz-live', 'no-such-id', '%', '%E0%A4%A', '%00', '..', '%2F..%2F', 'uploaded-0123456789ab', '__proto__', 'A'.repeat(2_000)),
  fc.string({ minLength: 1, maxLength: 30 }).map(encodeURIComponent),
);

const query = fc.oneof(
  fc.constant(''),
  fc.constantFrom(
    '?archived=true',
    '?format=csv',
    '?limit=-1',
    '?limit=1e400',
    '?kind[]=x',
    '?level=%',
    `?${'a=1&'.repeat(1_000)}`,
    // The console's paged reads and chart series (http/consoleApi.ts).
    '?paged=true&limit=101',
    '?paged[]=true',
    '?paged=true&cursor=%25',
    '?paged=true&cursor=WyJ4Il0',
    '?paged=true&sort=-',
    '?paged=true&filter[]=x',
    '?paged=true&round=1e400',
    '?maxPoints=0',
  ),
);

const body = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom('{', '{"a":', 'null', '"a string"', '[]', '42', 'NaN', '\u0000', '{"__proto__":{"x":1}}'),
  fc.integer({ min: 9_000, max: 3_000_000 }).map((n) => JSON.stringify({ pad: 'x'.repeat(n) })),
  junk.map((v) => JSON.stringify(v) ?? 'undefined'),
  mutated(VALID_CONFIG).map((v) => JSON.stringify(v) ?? 'undefined'),
  // An analytics query (POST /federations/:id/queries), to mutate.
  mutated({ kind: 'column-stats', columns: [{ name: 'age', low: 0, high: 90, bins: 9 }], privacy: { minDevices: 2, epsilon: 1, examplesPerDevice: 100 } }).map(
    (v) => JSON.stringify(v) ?? 'undefined',
  ),
);

/**
 * Requests to every route of the table: fuzzed path parameters and queries, bodies that are
 * broken, of the wrong type, huge or mutated configs, as nobody, with a garbage token, or as the
 * admin. The admin's requests that could legitimately change something are left out: a mutating
 * route names a federation that does not exist, and a created federation's config must fail its schema.
 */
export function restRequests(routes: readonly RouteEntry[]): fc.Arbitrary<RestRequest> {
  return fc
    .record({
      caller: fc.constantFrom<Caller>('none', 'garbage', 'admin'),
      garbageToken: fc.oneof(
        fc.string({ maxLength: 60 }).map((t) => t.replace(/[^\x21-\x7e]/g, '')),
        fc.constantFrom('eyJhbGciOiJub25lIn0.eyJraW5kIjoic2Vzc2lvbiJ9.', 'a.b.c'),
      ),
      route: fc.constantFrom(...routes),
      segments: fc.array(pathSegment, { minLength: 3, maxLength: 3 }),
      query,
      contentType: fc.constantFrom('application/json', 'text/plain', 'application/octet-stream', 'application/json; charset=utf-16'),
      body,
    })
    .filter(({ caller, route, segments, body: sent }) => caller !== 'admin' || route.method === 'GET' || !mayChange(route, segments, sent))
    .map(({ caller, garbageToken, route, segments, query: q, contentType, body: sent }) => {
      let i = 0;
      const path = route.path.replace(/:[A-Za-z]+/g, () => segments[i++ % segments.length]!);
      return { caller, garbageToken, method: route.method, path: `${path}${q}`, contentType, body: sent };
    });
}

function mayChange(route: RouteEntry, segments: string[], body: string | undefined): boolean {
  if (route.path.includes(':')) return segments.some((s) => s === 'demo' || s === 'fuzz-live' || s === 'uploaded-0123456789ab');
  if (route.path === '/federations') return FederationConfig.safeParse(parsed(body)).success;
  // Tokens and logins change no federation; a model upload needs a topology junk never forms.
  return false;
}

function parsed(body: string | undefined): unknown {
  try {
    return body === undefined ? undefined : JSON.parse(body);
  } catch {
    return undefined;
  }
}
