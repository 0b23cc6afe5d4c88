import { ADMIN_NAMESPACE, PROTOCOL_VERSION, type RoundStartAnnouncement } from '@flock/fl-core';
import type { DeviceSocket } from '@flock/fl-core/device';
import { io as connect } from 'socket.io-client';
import { afterAll, describe, expect, it } from 'vitest';
import { useTestCoordinator } from '../testCoordinator.ts';

const TOKEN = 'malformed-update-test-admin-token';
const test = useTestCoordinator('flock-malformed-', TOKEN);
const sockets: DeviceSocket[] = [];

afterAll(() => {
  for (const s of sockets) s.disconnect();
});

async function helloDemo(deviceId: string): Promise<DeviceSocket> {
  const s: DeviceSocket = connect(test.coordinator.url, { transports: ['websocket'], forceNew: true, reconnection: false });
  sockets.push(s);
  const reply = await s.emitWithAck('hello', { protocolVersion: PROTOCOL_VERSION, deviceId, federationId: 'demo', backend: 'cpu', adapter: null });
  expect(reply).toMatchObject({ ok: true });
  return s;
}

/** A well-formed FLKW header (float32 delta) around a manifest whose entries are not objects. */
function payloadWithManifest(json: string): Uint8Array<ArrayBuffer> {
  const text = new TextEncoder().encode(json);
  const dataOffset = (12 + text.length + 3) & ~3;
  const out = new Uint8Array(dataOffset + 8);
  out.set([0x46, 0x4c, 0x4b, 0x57, 1, 0, 1, 0]);
  new DataView(out.buffer).setUint32(8, text.length, true);
  out.set(text, 12);
  return out;
}

describe('an update with a broken manifest', () => {
  it('is refused with a reason and the coordinator goes on answering', async () => {
    const a = await helloDemo('malformed-a');
    await helloDemo('malformed-b');
    const started = new Promise<RoundStartAnnouncement>((resolve) => a.once('round:start', resolve));
    const start = await fetch(`${test.coordinator.url}/api/federations/demo/start`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(start.status).toBe(200);
    const { round } = await started;

    for (const manifest of ['[null]', '[1]', '["x"]']) {
      const reply = await a.timeout(10_000).emitWithAck('update', {
        federationId: 'demo',
        round,
        numExamples: 10,
        metrics: { loss: 1, accuracy: 0.5 },
        payload: payloadWithManifest(manifest),
      });
      expect(reply).toEqual({ ok: false, reason: expect.stringMatching(/manifest entry 0 is not/) });
    }

    expect((await fetch(`${test.coordinator.url}/api/health`)).status).toBe(200);
    await helloDemo('malformed-c');
  }, 60_000);
});

describe('the dashboard namespace', () => {
  it('answers an event it does not know with a reason', async () => {
    const dashboard = connect(`${test.coordinator.url}${ADMIN_NAMESPACE}`, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { token: TOKEN } });
    try {
      const reply = await dashboard.timeout(5_000).emitWithAck('unsubscribe', { federationId: 'demo' });
      expect(reply).toEqual({ ok: false, reason: 'unknown event "unsubscribe"; the dashboard sends subscribe' });
      expect(await dashboard.timeout(5_000).emitWithAck('subscribe', { federationId: 'demo' })).toEqual({ ok: true });
    } finally {
      dashboard.close();
    }
  });
});
