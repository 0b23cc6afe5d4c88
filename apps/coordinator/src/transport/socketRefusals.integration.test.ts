import { ADMIN_NAMESPACE } from '@flock/fl-core';
import { io as connect } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import { useTestCoordinator } from '../testing/testCoordinator.ts';

const TOKEN = 'malformed-update-test-admin-token';
const test = useTestCoordinator('flock-malformed-', TOKEN);

describe('the dashboard namespace', () => {
  it('answers an event it does not know with a reason', async () => {
    const dashboard = connect(`${test.coordinator.url}${ADMIN_NAMESPACE}`, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      auth: { token: TOKEN },
    });
    try {
      const reply = await dashboard.timeout(5_000).emitWithAck('unsubscribe', { federationId: 'demo' });
      expect(reply).toEqual({ ok: false, reason: 'unknown event "unsubscribe"; the dashboard sends subscribe' });
      expect(await dashboard.timeout(5_000).emitWithAck('subscribe', { federationId: 'demo' })).toEqual({ ok: true });
    } finally {
      dashboard.close();
    }
  });
});
