import type { AddressInfo } from 'node:net';
import { queryContextOf, type QueryContext } from '@flock/fl-core/analytics';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Credential } from '../auth/principal.ts';
import { queriesApi } from './queriesApi.ts';
import { QueryBook } from './queryBook.ts';

const contexts = new Map<string, QueryContext>([
  ['digits', queryContextOf({ dataset: { kind: 'mnist', partition: 'iid', examplesPerDevice: 100, seed: 1 } })],
  [
    'loans',
    queryContextOf({
      dataset: { kind: 'device', schema: { type: 'csv', features: ['age', 'income'], label: 'repaid', classes: ['no', 'yes'] }, testFraction: 0.2 },
    }),
  ],
]);
const book = new QueryBook({ maxQueued: 3 });
let server: ReturnType<express.Express['listen']>;
let url: string;

/** The test's stand-in for authenticate(): the role named in x-test-role. */
function credentialFrom(role: string | undefined): Credential {
  if (role === 'admin') return { kind: 'valid', principal: { role: 'admin', via: 'secret' } };
  if (role === 'viewer') return { kind: 'valid', principal: { role: 'viewer', via: 'token', kind: 'viewer', jti: 'v' } };
  return { kind: 'none' };
}

beforeAll(async () => {
  const app = express();
  app.use((req, res, next) => {
    res.locals.credential = credentialFrom(req.get('x-test-role'));
    next();
  });
  app.use(
    '/api',
    queriesApi({
      contextOf: (id) => contexts.get(id),
      submit: (id, query, context) => book.submit(id, query, context, Date.UTC(2026, 11, 6)),
      find: (id, queryId) => book.record(id, queryId),
      list: (id) => book.records(id),
      stored: () => book.flushed(),
    }),
  );
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise((resolve) => server.close(resolve)));

async function call(method: string, path: string, body?: unknown, role = 'admin') {
  const res = await fetch(`${url}/api${path}`, {
    method,
    headers: { 'x-test-role': role, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('queries over REST', () => {
  it('queues a query and answers it by id with its status', async () => {
    const posted = await call('POST', '/federations/digits/queries', { kind: 'label-histogram', privacy: { minDevices: 3 } });
    expect(posted.status).toBe(201);
    expect(posted.body).toMatchObject({
      id: expect.stringMatching(/^q\d+$/),
      federationId: 'digits',
      status: 'queued',
      query: { kind: 'label-histogram', privacy: { minDevices: 3 } },
    });
    const got = await call('GET', `/federations/digits/queries/${String(posted.body.id)}`, undefined, 'viewer');
    expect(got).toEqual({ status: 200, body: posted.body });
    const listed = await call('GET', '/federations/digits/queries', undefined, 'viewer');
    expect(listed.body).toEqual([posted.body]);
  });

  it('refuses a malformed query or one the data cannot answer, with the reason', async () => {
    expect(await call('POST', '/federations/digits/queries', { kind: 'median' })).toEqual({
      status: 400,
      body: { ok: false, reason: 'query refused: kind: Kind must be one of label-histogram, column-stats, quantiles, confusion-matrix, frequent-values.' },
    });
    expect(await call('POST', '/federations/digits/queries', { kind: 'quantiles', column: 'age', edges: [0, 50, 100], quantiles: [0.5] })).toEqual({
      status: 400,
      body: { ok: false, reason: "query refused: quantiles reads CSV columns, and this federation's devices hold images: ask for a label-histogram instead." },
    });
    const stats = await call('POST', '/federations/loans/queries', { kind: 'column-stats', columns: [{ name: 'age', low: 18, high: 100 }] });
    expect(stats.status).toBe(201);
  });

  it('answers 404 for an unknown federation or query, 409 when too many queries wait', async () => {
    expect(await call('POST', '/federations/nowhere/queries', { kind: 'label-histogram' })).toEqual({
      status: 404,
      body: { ok: false, reason: 'unknown federation "nowhere"' },
    });
    expect(await call('GET', '/federations/digits/queries/q999', undefined, 'viewer')).toEqual({
      status: 404,
      body: {
        ok: false,
        reason: 'federation digits has no query q999: list its queries to see their ids',
      },
    });
    expect((await call('GET', '/federations/digits/queries/select', undefined, 'viewer')).status).toBe(400);
    await call('POST', '/federations/digits/queries', { kind: 'label-histogram' });
    await call('POST', '/federations/digits/queries', { kind: 'label-histogram' });
    expect(await call('POST', '/federations/digits/queries', { kind: 'label-histogram' })).toEqual({
      status: 409,
      body: { ok: false, reason: '3 queries are already waiting on federation digits: ask again once some have finished' },
    });
  });

  it('lets admins ask and viewers read, nobody else', async () => {
    expect((await call('POST', '/federations/digits/queries', { kind: 'label-histogram' }, 'viewer')).status).toBe(403);
    expect((await call('GET', '/federations/digits/queries', undefined, 'nobody')).status).toBe(401);
  });
});
