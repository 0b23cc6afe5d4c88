import { describe, expect, it } from 'vitest';
import type { RouteEntry } from '../auth/routeTable.ts';
import { useTestCoordinator } from '../testing/testCoordinator.ts';

/**
 * Every REST route of a real coordinator, sent what a careless or hostile caller sends: a body that
 * is not JSON, a JSON string where an object belongs, a body over the route's limit, a path whose
 * percent-escapes do not decode. Each gets 400 or 413 with a reason, never 500.
 */
const TOKEN = 'bad-requests-admin-secret';
const admin = { authorization: `Bearer ${TOKEN}` };
const env = useTestCoordinator('flock-bad-requests-', TOKEN);

/** The body limits routes use, smallest first: a body one byte over each in turn finds a route's own limit. */
const LIMIT_LADDER = [8 * 1024, 64 * 1024, 64 * 1024 * 1024];
const BAD_ESCAPE = '%E0%A4%A';

async function send(method: string, path: string, body?: string) {
  const res = await fetch(`${env.coordinator.url}${path}`, {
    method,
    headers: { ...admin, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body }),
  });
  const text = await res.text();
  let reason: unknown;
  try {
    reason = (JSON.parse(text) as { reason?: unknown }).reason;
  } catch {
    reason = undefined;
  }
  return { status: res.status, reason };
}

/** A well-formed JSON object of exactly `bytes` bytes. */
function objectOfSize(bytes: number): string {
  const shell = '{"padding":""}';
  return `{"padding":"${'x'.repeat(bytes - shell.length)}"}`;
}

const withBody = (r: RouteEntry) => r.method !== 'GET';
const concrete = (r: RouteEntry) => r.path.replace(/:[A-Za-z]+/g, (p) => (p === ':id' ? 'demo' : 'x'));
const describeReply = (r: RouteEntry, what: string, reply: { status: number; reason: unknown }) =>
  `${r.method} ${r.path} ${what}: ${reply.status} ${String(reply.reason)}`;

describe('bad requests on every REST route', () => {
  it('answers a body that is not JSON with 400 and says so', async () => {
    const wrong: string[] = [];
    for (const route of env.coordinator.routes.filter(withBody)) {
      const reply = await send(route.method, concrete(route), '{"federationId": ');
      if (reply.status !== 400 || reply.reason !== 'the request body is not valid JSON') wrong.push(describeReply(route, 'with malformed JSON', reply));
    }
    expect(wrong).toEqual([]);
  });

  it('answers a JSON string or null where an object belongs with 400', async () => {
    const wrong: string[] = [];
    for (const route of env.coordinator.routes.filter(withBody)) {
      for (const body of ['"a JSON string"', 'null', '42']) {
        const reply = await send(route.method, concrete(route), body);
        if (reply.status !== 400 || reply.reason !== 'the request body must be a JSON object') wrong.push(describeReply(route, `with ${body}`, reply));
      }
    }
    expect(wrong).toEqual([]);
  });

  it('answers a body over the route limit with 413 naming the limit', async () => {
    const wrong: string[] = [];
    for (const route of env.coordinator.routes.filter(withBody)) {
      let refused = false;
      for (const limit of LIMIT_LADDER) {
        const reply = await send(route.method, concrete(route), objectOfSize(limit + 1));
        if (reply.status === 413) {
          refused = true;
          if (typeof reply.reason !== 'string' || !/^the request body is larger than \d+ [KM]iB, the most this route takes$/.test(reply.reason)) {
            wrong.push(describeReply(route, `with ${limit + 1} bytes`, reply));
          }
          break;
        }
        if (reply.status !== 400) wrong.push(describeReply(route, `with ${limit + 1} bytes (under its limit)`, reply));
      }
      if (!refused) wrong.push(`${route.method} ${route.path} took a body of ${LIMIT_LADDER.at(-1)! + 1} bytes`);
    }
    expect(wrong).toEqual([]);
  });

  it('answers a path parameter with a bad percent-escape with 400', async () => {
    const wrong: string[] = [];
    const withParams = env.coordinator.routes.filter((r) => r.path.includes(':'));
    expect(withParams.length).toBeGreaterThan(10);
    for (const route of withParams) {
      const reply = await send(route.method, route.path.replace(/:[A-Za-z]+/g, BAD_ESCAPE));
      if (reply.status !== 400 || reply.reason !== `the address has a broken percent-escape in "${BAD_ESCAPE}"; write a literal % as %25`) {
        wrong.push(describeReply(route, 'with a bad escape', reply));
      }
    }
    expect(wrong).toEqual([]);
  });
});
