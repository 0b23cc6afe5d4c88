import type { Ack, CoordinatorClosingMessage, UpdateMessage } from '@flock/fl-core';
import type { DeviceSocket } from '@flock/fl-core/device';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childProcesses, CoordinatorProcess } from './testing/coordinatorProcess.ts';
import { connectDevice, helloFrom } from './testing/deviceSockets.ts';
import { SHUTDOWN_BOUND_MS } from './serveCoordinator.ts';

// What `npm start` runs: node scripts/start.mjs importing the compiled coordinator (apps/coordinator/dist).
let coordinator: CoordinatorProcess;

beforeAll(async () => {
  coordinator = await CoordinatorProcess.launch({ run: 'compiled' });
}, 120_000);

afterAll(() => coordinator?.stop());

describe('the compiled coordinator (npm start)', () => {
  it('is one node process serving the device page, the dashboard and the API', async () => {
    expect(childProcesses(coordinator.pid)).toEqual([]);
    for (const page of ['/', '/admin']) {
      const res = await fetch(`${coordinator.url}${page}`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('<div id="root">');
    }
    const health = await fetch(`${coordinator.url}/api/health`);
    expect(health.status).toBe(200);
  });

  it("serves React's production build, even when the build ran under the test runner (NODE_ENV=test)", async () => {
    const page = await (await fetch(`${coordinator.url}/`)).text();
    const entry = /<script type="module"[^>]* src="([^"]+)"/.exec(page)?.[1];
    expect(entry).toBeDefined();
    const script = await (await fetch(new URL(entry!, coordinator.url))).text();
    // A warning only React's development build carries.
    expect(script).not.toContain('unique "key" prop');
  });

  it('on SIGTERM tells its devices, refuses their messages for now so they keep their work, and exits cleanly in time', async () => {
    const device: DeviceSocket = connectDevice(coordinator.url, { reconnection: false });
    try {
      expect(await device.timeout(10_000).emitWithAck('hello', helloFrom('closing-device', 'demo'))).toMatchObject({ ok: true });
      const told = new Promise<CoordinatorClosingMessage>((resolve) => device.once('coordinator:closing', resolve));
      const started = Date.now();
      const exited = coordinator.kill('SIGTERM');
      const notice = await told;
      expect(notice.reason).toMatch(/shutting down or restarting.*reconnects by itself/);
      // Refused before it is even parsed: the device keeps whatever it sends now.
      const answer: Ack = await device.timeout(5_000).emitWithAck('update', {} as UpdateMessage);
      expect(answer).toMatchObject({ ok: false, reason: expect.stringMatching(/shutting down.*sends it again/), retryAfterMs: 1_000 });
      await exited;
      expect(Date.now() - started).toBeLessThan(SHUTDOWN_BOUND_MS);
      expect(coordinator.exitStatus).toEqual({ code: 0, signal: null });
      expect(coordinator.output()).toContain('The coordinator shut down cleanly.');
    } finally {
      device.disconnect();
    }
  });

  it('starts again on the same data directory with what it had saved', async () => {
    await coordinator.start();
    const res = await fetch(`${coordinator.url}/api/federations/demo`, { headers: { authorization: `Bearer ${coordinator.adminToken}` } });
    expect(res.status).toBe(200);
  });
});
