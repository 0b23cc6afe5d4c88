import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SecAggDevice } from './device.ts';
import { SecAggServer } from './server.ts';

const tag = { federationId: 'fed-secagg', round: 2 };
const options = { ...tag, vectorLength: 8, clip: 1, maxWeight: 10, roundSeed: 'seed' };

describe('SecAggServer', () => {
  it('refuses any malformed payload with a reason and never throws, at every stage', () => {
    const server = new SecAggServer(options);
    fc.assert(
      fc.property(fc.anything(), (payload) => {
        for (const receive of [server.receiveAdvertisement, server.receiveShares, server.receiveMaskedInput, server.receiveUnmaskShares]) {
          const result = receive.call(server, 'device-a1', payload);
          expect(result).toEqual({ ok: false, reason: expect.any(String) });
        }
      }),
    );
  });

  it('refuses an advertisement that names another device, another round, a short key or comes twice', () => {
    const server = new SecAggServer(options);
    const advertisement = new SecAggDevice({ ...tag, deviceId: 'device-a1' }).advertise();
    expect(server.receiveAdvertisement('device-b2', advertisement)).toEqual({ ok: false, reason: expect.stringContaining('another device') });
    expect(server.receiveAdvertisement('device-a1', { ...advertisement, round: 1 })).toEqual({ ok: false, reason: expect.stringContaining('another round') });
    expect(server.receiveAdvertisement('device-a1', { ...advertisement, maskKey: new Uint8Array(31) })).toEqual({
      ok: false,
      reason: expect.stringContaining('malformed'),
    });
    expect(server.receiveAdvertisement('device-a1', { ...advertisement, maskKey: advertisement.maskKey.slice().buffer })).toEqual({ ok: true });
    expect(server.receiveAdvertisement('device-a1', advertisement)).toEqual({ ok: false, reason: expect.stringContaining('already') });
  });

  it('aborts before sharing keys when fewer devices advertise than the threshold, and ignores later messages', () => {
    const server = new SecAggServer({ ...options, config: { threshold: 3 } });
    for (const id of ['device-a1', 'device-b2']) server.receiveAdvertisement(id, new SecAggDevice({ ...tag, deviceId: id }).advertise());
    expect(server.closeAdvertisements()).toEqual({ ok: false, reason: expect.stringContaining('at least 3 devices') });
    expect(server.stage).toBe('aborted');
    expect(server.receiveShares('device-a1', {})).toEqual({ ok: false, reason: expect.stringContaining('aborted') });
  });

  it('refuses shares that do not go to exactly the device’s neighbours', async () => {
    const server = new SecAggServer({ ...options, config: { neighbours: 3, threshold: 2 } });
    const devices = ['device-a1', 'device-b2', 'device-c3', 'device-d4', 'device-e5'].map((id) => new SecAggDevice({ ...tag, deviceId: id }));
    for (const d of devices) server.receiveAdvertisement(d.tag.deviceId, d.advertise());
    const requests = server.closeAdvertisements();
    if (!requests.ok) throw new Error(requests.reason);
    const shares = await devices[0]!.shareKeys(requests.value.get('device-a1')!);
    if (!shares.ok) throw new Error(shares.reason);
    expect(shares.value.shares).toHaveLength(2);
    const twice = { ...shares.value, shares: [shares.value.shares[0]!, shares.value.shares[0]!] };
    expect(server.receiveShares('device-a1', twice)).toEqual({ ok: false, reason: expect.stringContaining('exactly') });
    expect(server.receiveShares('device-a1', shares.value)).toEqual({ ok: true });
    expect(server.pending()).toEqual(['device-b2', 'device-c3', 'device-d4', 'device-e5']);
  });

  it('unmasks a round whose every binary field arrived as a Node Buffer inside a larger frame, as Socket.IO delivers them', async () => {
    const server = new SecAggServer({ ...options, config: { neighbours: 3, threshold: 2 } });
    const devices = ['device-a1', 'device-b2', 'device-c3'].map((id) => new SecAggDevice({ ...tag, deviceId: id }));
    const update = new Float32Array(options.vectorLength).fill(0.5);
    for (const d of devices) expect(server.receiveAdvertisement(d.tag.deviceId, asBuffers(d.advertise()))).toEqual({ ok: true });
    const keyRequests = server.closeAdvertisements();
    if (!keyRequests.ok) throw new Error(keyRequests.reason);
    for (const d of devices) {
      const shares = await d.shareKeys(keyRequests.value.get(d.tag.deviceId)!);
      if (!shares.ok) throw new Error(shares.reason);
      expect(server.receiveShares(d.tag.deviceId, asBuffers(shares.value))).toEqual({ ok: true });
    }
    const maskRequests = server.closeShares();
    if (!maskRequests.ok) throw new Error(maskRequests.reason);
    for (const d of devices) {
      const masked = await d.maskInput(maskRequests.value.get(d.tag.deviceId)!, update, 5, () => 0.5);
      if (!masked.ok) throw new Error(masked.reason);
      expect(server.receiveMaskedInput(d.tag.deviceId, asBuffers(masked.value))).toEqual({ ok: true });
    }
    const unmaskRequests = server.closeMaskedInput();
    if (!unmaskRequests.ok) throw new Error(unmaskRequests.reason);
    for (const d of devices) {
      const shares = d.unmask(unmaskRequests.value.get(d.tag.deviceId)!);
      if (!shares.ok) throw new Error(shares.reason);
      expect(server.receiveUnmaskShares(d.tag.deviceId, asBuffers(shares.value))).toEqual({ ok: true });
    }
    const outcome = await server.finish();
    if (!outcome.ok) throw new Error(outcome.reason);
    expect(outcome.value.contributors).toBe(3);
    for (const x of outcome.value.mean) expect(x).toBeCloseTo(0.5, 5);
  });
});

/** Every Uint8Array in a message as a Buffer over a larger allocation, at an odd offset. */
function asBuffers<T>(value: T): T {
  if (value instanceof Uint8Array) {
    const frame = Buffer.alloc(value.length + 3);
    frame.set(value, 1);
    return frame.subarray(1, 1 + value.length) as unknown as T;
  }
  if (Array.isArray(value)) return value.map(asBuffers) as T;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, asBuffers(v)])) as T;
  return value;
}
