import { Decoder, Encoder, PacketType, type Packet } from 'socket.io-parser';
import { describe, expect, it } from 'vitest';
import { SecAggDevice } from './device.ts';
import { SecAggRequestMessage, SecAggShareKeysRequest, toWire } from './messages.ts';

/** One Socket.IO event through the same encoder and decoder (and attachment limit) the server and the clients use. */
function throughSocketIo(data: unknown[]): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const decoder = new Decoder();
    decoder.on('decoded', (packet: Packet) => resolve(packet.data as unknown[]));
    try {
      for (const part of new Encoder().encode({ type: PacketType.EVENT, nsp: '/', data })) decoder.add(part);
    } catch (err) {
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  });
}

describe('secure-aggregation messages on the wire', () => {
  const tag = { federationId: 'fed-wire', round: 3 };
  const neighbours = Array.from({ length: 20 }, (_, i) => {
    const { deviceId, encryptionKey, maskKey } = new SecAggDevice({ ...tag, deviceId: `device-${String(i).padStart(3, '0')}` }).advertise();
    return { deviceId, encryptionKey, maskKey };
  });
  const request = {
    stage: 'share-keys',
    deadline: 1,
    request: { ...tag, settings: { deviceCount: 21, neighbours: 21, threshold: 7, vectorLength: 10, clip: 1, maxWeight: 100, levels: 1000 }, neighbours },
  } as const;

  it('would be refused by Socket.IO with a binary field per neighbour', async () => {
    await expect(throughSocketIo(['secagg:request', request])).rejects.toThrow(/too many attachments/);
  });

  it('crosses Socket.IO with its small binary fields as base64 and parses back to the same bytes', async () => {
    const [, received] = await throughSocketIo(['secagg:request', toWire(request)]);
    const parsed = SecAggRequestMessage.parse(received);
    expect(parsed).toEqual(SecAggRequestMessage.parse(request));
    expect(SecAggShareKeysRequest.parse(toWire(request.request)).neighbours[19]!.maskKey).toEqual(neighbours[19]!.maskKey);
  });

  it('keeps a large binary field (a masked vector) binary', () => {
    const masked = new Uint8Array(4096);
    expect(toWire({ masked, key: new Uint8Array(32) })).toEqual({ masked, key: expect.any(String) });
  });
});
