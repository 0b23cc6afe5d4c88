import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import express from 'express';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allow } from '../auth/guard.ts';
import { listRoutes } from '../auth/routeTable.ts';
import { CoordinatorMetrics } from '../metrics/coordinatorMetrics.ts';
import { errorBoundary } from './errorBoundary.ts';

/** A real express app whose routes fail as our own code can: a thrown error and a rejected promise. */
const logLines: string[] = [];
const logger = pino({ level: 'warn' }, new Writable({ write: (chunk: Buffer, _enc, done) => (logLines.push(chunk.toString()), done()) }));
const metrics = new CoordinatorMetrics({ connectedDevices: () => [], roundRecord: () => undefined });
let server: ReturnType<express.Express['listen']>;
let url: string;

beforeAll(async () => {
  const app = express();
  const api = express.Router();
  api.get('/throws/:id', allow('public'), () => {
    throw new TypeError('Cannot read properties of undefined');
  });
  api.post('/rejects', allow('public'), async () => {
    await Promise.resolve();
    throw new Error('the store went away');
  });
  app.use('/api', api);
  app.use(errorBoundary({ logger, metrics, routes: () => listRoutes(app) }));
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise((resolve) => server.close(resolve)));

describe('errorBoundary', () => {
  it('answers a handler that throws or rejects with 500 and a reason, logs a warning and counts it by route', async () => {
    const thrown = await fetch(`${url}/api/throws/abc`);
    expect(thrown.status).toBe(500);
    expect(await thrown.json()).toEqual({
      ok: false,
      reason: 'the coordinator failed while answering GET /api/throws/:id; the failure is in its log ("request failed"), please report it',
    });
    const rejected = await fetch(`${url}/api/rejects`, { method: 'POST' });
    expect(rejected.status).toBe(500);
    expect(await rejected.json()).toMatchObject({ ok: false, reason: expect.stringContaining('POST /api/rejects') });

    const text = await metrics.text();
    expect(text).toContain('flock_handler_failures_total{door="GET /api/throws/:id"} 1');
    expect(text).toContain('flock_handler_failures_total{door="POST /api/rejects"} 1');
    const warnings = logLines.map((l) => JSON.parse(l) as { level: number; msg: string; door: string; err: { message: string } });
    expect(warnings).toEqual([
      expect.objectContaining({
        level: 40,
        msg: 'request failed',
        door: 'GET /api/throws/:id',
        err: expect.objectContaining({ message: 'Cannot read properties of undefined' }),
      }),
      expect.objectContaining({
        level: 40,
        msg: 'request failed',
        door: 'POST /api/rejects',
        err: expect.objectContaining({ message: 'the store went away' }),
      }),
    ]);
  });

  it('answers a caller mistake with its 4xx and neither logs nor counts it', async () => {
    const before = logLines.length;
    const reply = await fetch(`${url}/api/throws/%ZZ`);
    expect(reply.status).toBe(400);
    expect(await reply.json()).toEqual({ ok: false, reason: 'the address has a broken percent-escape in "%ZZ"; write a literal % as %25' });
    expect(logLines.length).toBe(before);
    expect(await metrics.text()).not.toContain('door="GET /api/throws/:id"} 2');
  });
});
