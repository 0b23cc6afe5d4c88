import type { RoundStartAnnouncement } from '@flock/fl-core';
import type { DeviceSocket } from '@flock/fl-core/device';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoordinatorProcess } from '../testing/coordinatorProcess.ts';
import { connectDevice, helloFrom } from '../testing/deviceSockets.ts';

// A separate process, not useTestCoordinator: what finding 1 broke was the process itself, which an
// in-process coordinator cannot show (the test runner would catch the throw and go on).
let coordinator: CoordinatorProcess;
const sockets: DeviceSocket[] = [];

beforeAll(async () => {
  coordinator = await CoordinatorProcess.launch({ seedDatabase: true });
}, 120_000);

afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await coordinator?.stop();
});

async function helloDemo(deviceId: string): Promise<DeviceSocket> {
  const s: DeviceSocket = connectDevice(coordinator.url, { reconnection: false });
  sockets.push(s);
  const reply = await s.timeout(10_000).emitWithAck('hello', helloFrom(deviceId, 'demo'));
  expect(reply).toMatchObject({ ok: true });
  return s;
}

/** A well-formed FLKW header (float32 delta) around `manifest`, then 8 data bytes. */
function flkwWithManifest(manifest: string): Uint8Array<ArrayBuffer> {
  const text = new TextEncoder().encode(manifest);
  const dataOffset = (12 + text.length + 3) & ~3;
  const out = new Uint8Array(dataOffset + 8);
  out.set([0x46, 0x4c, 0x4b, 0x57, 1, 0, 1, 0]);
  new DataView(out.buffer).setUint32(8, text.length, true);
  out.set(text, 12);
  return out;
}

/** The demo's first round, started once with hostile-a and hostile-b online (both are selected: clientsPerRound 'all'). */
let running: Promise<{ device: DeviceSocket; round: number }> | undefined;
function demoRound(): Promise<{ device: DeviceSocket; round: number }> {
  running ??= (async () => {
    const device = await helloDemo('hostile-a');
    await helloDemo('hostile-b');
    const started = new Promise<RoundStartAnnouncement>((resolve) => device.once('round:start', resolve));
    const start = await fetch(`${coordinator.url}/api/federations/demo/start`, {
      method: 'POST',
      headers: { authorization: `Bearer ${coordinator.adminToken}` },
    });
    expect(start.status).toBe(200);
    return { device, round: (await started).round };
  })();
  return running;
}

describe('a coordinator process sent a hostile update by a device that only said hello (issue 15, finding 1)', () => {
  it('refuses each one with a reason and stays alive', async () => {
    const { device, round } = await demoRound();
    const manifests = [
      '[null]',
      '[1]',
      '["x"]',
      '[{"name":"w","shape":[65536,65536,65536],"dtype":"float32"}]',
      '[{"name":"w","shape":"3","dtype":"float32"}]',
    ];
    for (const manifest of manifests) {
      const reply = await device.timeout(10_000).emitWithAck('update', {
        federationId: 'demo',
        round,
        numExamples: 10,
        metrics: { loss: 1, accuracy: 0.5 },
        payload: flkwWithManifest(manifest),
      });
      expect(reply, manifest).toEqual({ ok: false, reason: expect.stringMatching(/manifest/) });
      expect(coordinator.death()).toBeNull();
    }

    expect((await fetch(`${coordinator.url}/api/health`)).status).toBe(200);
    await helloDemo('hostile-c');
    expect(coordinator.death()).toBeNull();
  }, 90_000);
});

describe('a coordinator process asked to hold uploads it would never take (issue 15, finding 2)', () => {
  const begin = (s: DeviceSocket, fields: { round: number; totalBytes: number; federationId?: string }) =>
    s.timeout(10_000).emitWithAck('update:begin', { federationId: 'demo', numExamples: 10, metrics: { loss: 1, accuracy: 0.5 }, ...fields });
  const refused = (words: RegExp) => ({ ok: false, reason: expect.stringMatching(words) });

  it('refuses at update:begin a round that is not running, a device not selected, a size no update has, another federation', async () => {
    const { device, round } = await demoRound();
    const late = await helloDemo('hostile-late');

    expect(await begin(device, { round: round + 1, totalBytes: 1_000 })).toEqual(refused(/round/));
    expect(await begin(late, { round, totalBytes: 1_000 })).toEqual(refused(/selected/));
    expect(await begin(device, { round, totalBytes: 32 * 1024 * 1024 })).toEqual(refused(/bytes/));
    expect(await begin(device, { round, totalBytes: 1_000, federationId: 'elsewhere' })).toEqual(refused(/federation/));
    // The selected device's real upload still begins.
    expect(await begin(device, { round, totalBytes: 1_000 })).toEqual({ ok: true, received: 0, done: false });
    expect(coordinator.death()).toBeNull();
  }, 90_000);
});

describe('the coordinator process (issue 16, a quiet start)', () => {
  it('prints no TensorFlow.js banner about installing tfjs-node', () => {
    expect(coordinator.output()).not.toContain('tfjs-node');
  });
});
