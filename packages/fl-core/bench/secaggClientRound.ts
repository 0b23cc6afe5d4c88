// One SecAgg+ device's round, timed stage by stage: shared by `npm run bench -- secagg` (Node) and `secagg-tab` (a
// Chromium tab, bundled for the browser), so both time the same code.
import { createRng } from '../src/data/random.ts';
import { maskFromSeed } from '../src/secagg/crypto.ts';
import { SecAggDevice } from '../src/secagg/device.ts';
import type { SecAggMaskedInputRequest, SecAggShareKeysRequest } from '../src/secagg/messages.ts';
import { SecAggServer } from '../src/secagg/server.ts';

export const BENCH_TAG = { federationId: 'bench', round: 1 };
const tag = BENCH_TAG;

export interface ClientRoundTimes {
  keysMs: number;
  sharesMs: number;
  maskMs: number;
  totalMs: number;
  bytesUp: number;
  bytesDown: number;
}

export function randomUpdate(length: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length }, () => (rng() - 0.5) * 0.1);
}

export const ms = (start: number) => Math.round((performance.now() - start) * 10) / 10;

export async function clientRound(params: number, k: number): Promise<ClientRoundTimes> {
  const ids = Array.from({ length: k }, (_, i) => `device-${String(i).padStart(4, '0')}`);
  const server = new SecAggServer({ ...tag, vectorLength: params, clip: 1, maxWeight: 1000, roundSeed: 'bench', config: { neighbours: k } });
  let start = performance.now();
  const measured = new SecAggDevice({ ...tag, deviceId: ids[0]! });
  const advertisement = measured.advertise();
  const keysMs = ms(start);
  server.receiveAdvertisement(ids[0]!, advertisement);
  const others = ids.slice(1).map((id) => new SecAggDevice({ ...tag, deviceId: id }));
  for (const device of others) server.receiveAdvertisement(device.tag.deviceId, device.advertise());
  const keyRequests = server.closeAdvertisements();
  if (!keyRequests.ok) throw new Error(keyRequests.reason);
  const measuredKeys: SecAggShareKeysRequest = keyRequests.value.get(ids[0]!)!;
  start = performance.now();
  const shares = await measured.shareKeys(measuredKeys);
  const sharesMs = ms(start);
  if (!shares.ok) throw new Error(shares.reason);
  server.receiveShares(ids[0]!, shares.value);
  for (const device of others) {
    const theirs = await device.shareKeys(keyRequests.value.get(device.tag.deviceId)!);
    if (!theirs.ok) throw new Error(theirs.reason);
    server.receiveShares(device.tag.deviceId, theirs.value);
  }
  const maskRequests = server.closeShares();
  if (!maskRequests.ok) throw new Error(maskRequests.reason);
  const measuredMask: SecAggMaskedInputRequest = maskRequests.value.get(ids[0]!)!;
  const update = randomUpdate(params, k);
  start = performance.now();
  const masked = await measured.maskInput(measuredMask, update, 100);
  const maskMs = ms(start);
  if (!masked.ok) throw new Error(masked.reason);
  const unmaskShares = 33 * k;
  const bytesUp = 64 + shares.value.shares.reduce((s, x) => s + x.ciphertext.length, 0) + masked.value.masked.length + unmaskShares;
  const bytesDown = measuredKeys.neighbours.length * 64 + measuredMask.ciphertexts.reduce((s, x) => s + x.ciphertext.length, 0);
  return { keysMs, sharesMs, maskMs, totalMs: Math.round((keysMs + sharesMs + maskMs) * 10) / 10, bytesUp, bytesDown };
}

/** The rate a device expands masks at, in MB/s (maskFromSeed: OpenSSL in Node, WebCrypto in a tab): most of its mask time. */
export async function aesCtrMegabytesPerSecond(masks = 16, megabytes = 4): Promise<number> {
  const zeros = new Uint8Array(megabytes * 2 ** 20);
  await maskFromSeed(new Uint8Array(32), zeros);
  const start = performance.now();
  for (let i = 0; i < masks; i++) await maskFromSeed(new Uint8Array(32).fill(i), zeros);
  return Math.round((masks * megabytes) / ((performance.now() - start) / 1000));
}
