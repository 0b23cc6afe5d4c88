import type { CoordinatorSummary } from '@flock/fl-core';
import { describe, expect, it } from 'vitest';
import { connectDevice } from '../testing/deviceSockets.ts';
import { restCall, restOk } from '../testing/restCalls.ts';
import { until, useTestCoordinator } from '../testing/testCoordinator.ts';

const ADMIN = 'coordinators-api-admin';
const test = useTestCoordinator('flock-coordinators-api-', ADMIN, { coordinatorId: 'only-one' });

describe('GET /api/coordinators on the embedded store', () => {
  it('lists this one coordinator, alive, running every federation, with its connected devices', async () => {
    const { url } = test.coordinator;
    const [only] = await restOk<CoordinatorSummary[]>(url, ADMIN, 'GET', '/api/coordinators');
    expect(only).toMatchObject({ id: 'only-one', url, alive: true, devices: 0, federations: ['demo'] });
    expect(only!.silentMs).toBeLessThan(5_000);
    expect(Date.parse(only!.startedAt)).toBeLessThanOrEqual(Date.parse(only!.lastSeen));

    const device = connectDevice(url);
    try {
      // The next heartbeat (every 2 s) carries the new count.
      await until(
        async () => {
          const [listed] = await restOk<CoordinatorSummary[]>(url, ADMIN, 'GET', '/api/coordinators');
          return listed?.devices === 1 ? listed : undefined;
        },
        'the connected device to be counted',
        10_000,
      );
    } finally {
      device.disconnect();
    }
  });

  it('refuses a query it does not take, saying why, and anyone without a token', async () => {
    expect(await restCall(test.coordinator.url, ADMIN, 'GET', '/api/coordinators?sort=id')).toMatchObject({
      status: 400,
      body: { ok: false, reason: expect.stringMatching(/^This request was refused: .*sort/) },
    });
    expect((await restCall(test.coordinator.url, null, 'GET', '/api/coordinators')).status).toBe(401);
  });
});
