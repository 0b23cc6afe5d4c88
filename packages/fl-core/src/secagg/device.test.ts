import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SecAggDevice } from './device.ts';
import { maskVector, type Masker, type MaskingWork } from './masking.ts';
import { bytesOfWords, SecAggMaskedInput, type SecAggMaskedInputRequest } from './messages.ts';
import { SecAggServer } from './server.ts';

const tag = { federationId: 'fed-secagg', round: 3 };
const LENGTH = 4096;

/** A 5-device round run to the point where every device holds its masked-input request. */
async function roundAtMaskedInput(maskers: Partial<Record<string, Masker>> = {}) {
  const ids = ['device-a1', 'device-b2', 'device-c3', 'device-d4', 'device-e5'];
  const server = new SecAggServer({ ...tag, vectorLength: LENGTH, clip: 1, maxWeight: 100, roundSeed: 'seed', config: { neighbours: 5, threshold: 3 } });
  const devices = new Map(ids.map((id) => [id, new SecAggDevice({ ...tag, deviceId: id }, maskers[id])]));
  for (const [id, device] of devices) expect(server.receiveAdvertisement(id, device.advertise())).toEqual({ ok: true });
  const keyRequests = server.closeAdvertisements();
  if (!keyRequests.ok) throw new Error(keyRequests.reason);
  for (const [id, request] of keyRequests.value) {
    const shares = await devices.get(id)!.shareKeys(request);
    if (!shares.ok) throw new Error(shares.reason);
    expect(server.receiveShares(id, shares.value)).toEqual({ ok: true });
  }
  const maskRequests = server.closeShares();
  if (!maskRequests.ok) throw new Error(maskRequests.reason);
  return { ids, server, devices, maskRequests: maskRequests.value };
}

function withCiphertext(
  request: SecAggMaskedInputRequest,
  change: (c: SecAggMaskedInputRequest['ciphertexts'][number]) => SecAggMaskedInputRequest['ciphertexts'][number],
) {
  return { ...request, ciphertexts: request.ciphertexts.map((c, i) => (i === 0 ? change(c) : c)) };
}

describe('SecAggDevice', () => {
  it('refuses a share whose ciphertext was altered', async () => {
    const { devices, maskRequests } = await roundAtMaskedInput();
    const request = maskRequests.get('device-a1')!;
    const tampered = withCiphertext(request, (c) => {
      const ciphertext = c.ciphertext.slice();
      ciphertext[20]! ^= 1;
      return { ...c, ciphertext };
    });
    const result = await devices.get('device-a1')!.maskInput(tampered, new Float32Array(LENGTH), 10);
    expect(result).toEqual({ ok: false, reason: expect.stringContaining('failed its integrity check') });
  });

  it('refuses a share sealed for another receiver (wrong associated data)', async () => {
    const { devices, maskRequests } = await roundAtMaskedInput();
    const forB = maskRequests
      .get('device-b2')!
      .ciphertexts.find((c) => c.from !== 'device-a1' && maskRequests.get('device-a1')!.ciphertexts.some((a) => a.from === c.from))!;
    const request = maskRequests.get('device-a1')!;
    const misrouted = { ...request, ciphertexts: request.ciphertexts.map((c) => (c.from === forB.from ? forB : c)) };
    const result = await devices.get('device-a1')!.maskInput(misrouted, new Float32Array(LENGTH), 10);
    expect(result).toEqual({ ok: false, reason: expect.stringContaining('failed its integrity check') });
  });

  it('refuses a share presented as coming from another neighbour (wrong associated data)', async () => {
    const { devices, maskRequests } = await roundAtMaskedInput();
    const request = maskRequests.get('device-a1')!;
    const [first, second] = request.ciphertexts;
    const swapped = {
      ...request,
      ciphertexts: [
        { from: first!.from, ciphertext: second!.ciphertext },
        { from: second!.from, ciphertext: first!.ciphertext },
      ],
    };
    const result = await devices.get('device-a1')!.maskInput(swapped, new Float32Array(LENGTH), 10);
    expect(result.ok).toBe(false);
  });

  it('sends a masked vector that looks uniform even when the update is all zeros (chi-square on bytes)', async () => {
    const { devices, maskRequests } = await roundAtMaskedInput();
    const result = await devices.get('device-c3')!.maskInput(maskRequests.get('device-c3')!, new Float32Array(LENGTH), 10);
    if (!result.ok) throw new Error(result.reason);
    const counts = new Array<number>(256).fill(0);
    for (const byte of result.value.masked) counts[byte]!++;
    const expected = result.value.masked.length / 256;
    const chiSquare = counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
    // 255 degrees of freedom: the 99.9th percentile is about 330.
    expect(chiSquare).toBeLessThan(330);
    expect(SecAggMaskedInput.safeParse(result.value).success).toBe(true);
  });

  it('never returns both kinds of share for one peer, whatever the coordinator asks', async () => {
    const { ids, devices, maskRequests } = await roundAtMaskedInput();
    for (const [id, request] of maskRequests) {
      const masked = await devices.get(id)!.maskInput(request, new Float32Array(LENGTH), 10);
      if (!masked.ok) throw new Error(masked.reason);
    }
    const peers = fc.subarray(ids);
    fc.assert(
      fc.property(fc.constantFrom(...ids), peers, peers, (id, survivors, dropped) => {
        const device = new SecAggDevice({ ...tag, deviceId: id });
        Object.assign(device, { stage: 'unmask', settings: { threshold: 2 }, ownShares: { seed: new Uint8Array(33), key: new Uint8Array(33) } });
        Object.assign(device, { held: new Map(ids.filter((p) => p !== id).map((p) => [p, { seed: new Uint8Array(33), key: new Uint8Array(33) }])) });
        const result = device.unmask({ ...tag, survivors, dropped });
        if (result.ok) {
          const seedOf = new Set(result.value.seedShares.map((s) => s.of));
          expect(result.value.keyShares.some((s) => seedOf.has(s.of))).toBe(false);
        }
        expect(device.unmask({ ...tag, survivors: [], dropped })).toEqual({ ok: false, reason: expect.any(String) });
      }),
    );
  });

  it('refuses to unmask when fewer than the threshold of its group survived', async () => {
    const { ids, devices, maskRequests } = await roundAtMaskedInput();
    const device = devices.get('device-a1')!;
    const masked = await device.maskInput(maskRequests.get('device-a1')!, new Float32Array(LENGTH), 10);
    if (!masked.ok) throw new Error(masked.reason);
    const peers = maskRequests.get('device-a1')!.ciphertexts.map((c) => c.from);
    const result = device.unmask({ ...tag, survivors: peers.slice(0, 1), dropped: peers.slice(1) });
    expect(result).toEqual({ ok: false, reason: expect.stringContaining('refuses to unmask') });
    expect(ids).toContain('device-a1');
  });

  it('refuses a message of another round', async () => {
    const { devices, maskRequests } = await roundAtMaskedInput();
    const result = await devices.get('device-a1')!.maskInput({ ...maskRequests.get('device-a1')!, round: 4 }, new Float32Array(LENGTH), 10);
    expect(result).toEqual({ ok: false, reason: expect.stringContaining('another round') });
  });

  it('masks a vector that the server adds without keeping it', async () => {
    const { server, devices, maskRequests } = await roundAtMaskedInput();
    const result = await devices.get('device-a1')!.maskInput(maskRequests.get('device-a1')!, new Float32Array(LENGTH), 10);
    if (!result.ok) throw new Error(result.reason);
    expect(server.receiveMaskedInput('device-a1', { ...result.value, masked: bytesOfWords(new Uint32Array(3)) })).toEqual({
      ok: false,
      reason: expect.stringContaining('this round'),
    });
    expect(server.receiveMaskedInput('device-a1', result.value)).toEqual({ ok: true });
    expect(server.pending()).toHaveLength(4);
  });

  it('hands quantizing and masking to its masker (a tab runs it in its training worker) and sends what that returns', async () => {
    const works: MaskingWork[] = [];
    const masker: Masker = async (work) => {
      works.push(work);
      return maskVector(work);
    };
    const { devices, maskRequests } = await roundAtMaskedInput({ 'device-a1': masker });
    const update = new Float32Array(LENGTH).fill(0.25);
    const result = await devices.get('device-a1')!.maskInput(maskRequests.get('device-a1')!, update, 10);
    if (!result.ok) throw new Error(result.reason);
    expect(works).toHaveLength(1);
    expect(works[0]!.update).toBe(update);
    expect(works[0]!.masks).toHaveLength(maskRequests.get('device-a1')!.ciphertexts.length + 1);
    expect(result.value.masked).toHaveLength(4 * (LENGTH + 1));
  });

  it('sits the round out with the reason when its masker fails', async () => {
    const failing: Masker = () => Promise.reject(new Error('the training worker stopped'));
    const { devices, maskRequests } = await roundAtMaskedInput({ 'device-a1': failing });
    const result = await devices.get('device-a1')!.maskInput(maskRequests.get('device-a1')!, new Float32Array(LENGTH), 10);
    expect(result).toEqual({ ok: false, reason: expect.stringContaining('could not mask its update (the training worker stopped)') });
  });
});
