// One SecAgg+ device's round, timed stage by stage: shared by `npm run bench -- secagg` (Node) and `secagg-tab` (a
// Chromium tab, bundled for the browser), so both time the same code.
import { createRng } from '../src/data/random.ts';
import { SecAggDevice } from '../src/secagg/device.ts';
import { MaskAdder } from '../src/secagg/maskStream.ts';
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

/** The rate masks are expanded and added at, in MB/s (ChaCha20: OpenSSL in Node, @noble/ciphers in a tab): most of a device's mask time. */
export async function maskMegabytesPerSecond(masks = 16, megabytes = 4): Promise<number> {
  const target = new Uint32Array((megabytes * 2 ** 20) / 4);
  const adder = await MaskAdder.create();
  for (let i = 0; i < 4; i++) adder.add(target, new Uint8Array(32), 1); // warm-up: the JIT compiles @noble/ciphers' loop
  const start = performance.now();
  for (let i = 0; i < masks; i++) adder.add(target, new Uint8Array(32).fill(i), 1);
  return Math.round((masks * megabytes) / ((performance.now() - start) / 1000));
}

/** WebCrypto's AES-256-CTR keystream rate in MB/s, the generator masks used before ChaCha20 (the README compares them). */
export async function webCryptoAesCtrMegabytesPerSecond(masks = 16, megabytes = 4): Promise<number> {
  const zeros = new Uint8Array(megabytes * 2 ** 20);
  const expand = async (fill: number) => {
    const key = await globalThis.crypto.subtle.importKey('raw', new Uint8Array(32).fill(fill), 'AES-CTR', false, ['encrypt']);
    await globalThis.crypto.subtle.encrypt({ name: 'AES-CTR', counter: new Uint8Array(16), length: 64 }, key, zeros);
  };
  await expand(0);
  const start = performance.now();
  for (let i = 0; i < masks; i++) await expand(i);
  return Math.round((masks * megabytes) / ((performance.now() - start) / 1000));
}
