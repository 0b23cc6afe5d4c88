import { KEY_BYTES } from './crypto.ts';
import { SecAggDevice } from './device.ts';
import { SHARE_BYTES } from './messages.ts';
import type { SecAggResult } from './params.ts';
import { SecAggServer, type SecAggServerOptions, type SecAggSum } from './server.ts';

export interface SimulatedDevice {
  deviceId: string;
  update: Float32Array;
  /** Examples behind the update. */
  weight: number;
  /** Stochastic rounding source; seeded for reproducible sums. */
  random?: () => number;
}

export interface SimulatedRound {
  outcome: SecAggResult<SecAggSum>;
  /** Bytes each device sent and received over the four stages (payload binaries only), summed over devices. */
  bytesUp: number;
  bytesDown: number;
  /** Coordinator time adding masked vectors into the running sum, and rebuilding secrets and removing masks. */
  serverMs: { ingest: number; unmask: number };
}

/**
 * One SecAgg+ round in one process, messages passed by hand in the order a coordinator would: what `flock simulate
 * --secagg` runs. Devices in `dropAfterShareKeys` vanish after sharing keys (before their masked update).
 */
export async function simulateSecAggRound(
  options: Omit<SecAggServerOptions, 'vectorLength'>,
  devices: readonly SimulatedDevice[],
  dropAfterShareKeys: ReadonlySet<string> = new Set(),
): Promise<SimulatedRound> {
  const vectorLength = devices[0]?.update.length ?? 0;
  const server = new SecAggServer({ ...options, vectorLength });
  const clients = new Map(
    devices.map((d) => [
      d.deviceId,
      { input: d, device: new SecAggDevice({ federationId: options.federationId, round: options.round, deviceId: d.deviceId }) },
    ]),
  );
  let bytesUp = 0;
  let bytesDown = 0;
  const serverMs = { ingest: 0, unmask: 0 };
  const failed = (reason: string): SimulatedRound => ({ outcome: { ok: false, reason }, bytesUp, bytesDown, serverMs });

  for (const [id, { device }] of clients) {
    const message = device.advertise();
    bytesUp += message.encryptionKey.length + message.maskKey.length;
    server.receiveAdvertisement(id, message);
  }
  const keyRequests = server.closeAdvertisements();
  if (!keyRequests.ok) return failed(keyRequests.reason);
  for (const [id, request] of keyRequests.value) {
    bytesDown += request.neighbours.length * 2 * KEY_BYTES;
    const shares = await clients.get(id)!.device.shareKeys(request);
    if (!shares.ok) continue;
    bytesUp += shares.value.shares.reduce((sum, s) => sum + s.ciphertext.length, 0);
    server.receiveShares(id, shares.value);
  }
  const maskRequests = server.closeShares();
  if (!maskRequests.ok) return failed(maskRequests.reason);
  for (const [id, request] of maskRequests.value) {
    if (dropAfterShareKeys.has(id)) continue;
    bytesDown += request.ciphertexts.reduce((sum, c) => sum + c.ciphertext.length, 0);
    const { device, input } = clients.get(id)!;
    const masked = await device.maskInput(request, input.update, input.weight, input.random);
    if (!masked.ok) continue;
    bytesUp += masked.value.masked.length;
    const start = performance.now();
    server.receiveMaskedInput(id, masked.value);
    serverMs.ingest += performance.now() - start;
  }
  const unmaskRequests = server.closeMaskedInput();
  if (!unmaskRequests.ok) return failed(unmaskRequests.reason);
  for (const [id, request] of unmaskRequests.value) {
    const shares = clients.get(id)!.device.unmask(request);
    if (!shares.ok) continue;
    bytesUp += SHARE_BYTES * (shares.value.seedShares.length + shares.value.keyShares.length);
    server.receiveUnmaskShares(id, shares.value);
  }
  const start = performance.now();
  const outcome = await server.finish();
  serverMs.unmask = performance.now() - start;
  return { outcome, bytesUp, bytesDown, serverMs };
}
