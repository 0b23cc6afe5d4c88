import { labelBytes, maskFromSeed } from './crypto.ts';

/** One mask to add to (sign 1) or subtract from (sign -1) a vector, from the 256-bit seed it expands. */
export interface MaskJob {
  seed: () => Promise<Uint8Array>;
  sign: 1 | -1;
}

/** How many AES-CTR masks are expanded at once: enough to overlap WebCrypto's work, few enough to bound memory. */
const MASKS_IN_FLIGHT = 4;

/** target += sign·mask mod 2^32 (Uint32Array stores wrap). */
export function addMask(target: Uint32Array, mask: Uint32Array, sign: 1 | -1): void {
  if (sign === 1) for (let i = 0; i < target.length; i++) target[i] = target[i]! + mask[i]!;
  else for (let i = 0; i < target.length; i++) target[i] = target[i]! - mask[i]!;
}

export async function applyMasks(target: Uint32Array, jobs: readonly MaskJob[]): Promise<void> {
  const zeros = new Uint8Array(target.length * 4);
  for (let start = 0; start < jobs.length; start += MASKS_IN_FLIGHT) {
    const batch = jobs.slice(start, start + MASKS_IN_FLIGHT);
    const masks = await Promise.all(batch.map(async (job) => maskFromSeed(await job.seed(), zeros)));
    masks.forEach((mask, i) => addMask(target, mask, batch[i]!.sign));
  }
}

/** The pair's mask goes in with + at the smaller id and - at the larger, so it cancels in the sum. */
export function pairwiseSign(self: string, peer: string): 1 | -1 {
  return self < peer ? 1 : -1;
}

/** HKDF labels: the share-encryption key and the pairwise-mask seed come from different X25519 secrets and labels. */
export function shareKeyInfo(federationId: string, round: number): Uint8Array<ArrayBuffer> {
  return labelBytes('share-key', federationId, round);
}
export function pairwiseMaskInfo(federationId: string, round: number, a: string, b: string): Uint8Array<ArrayBuffer> {
  return a < b ? labelBytes('pairwise-mask', federationId, round, a, b) : labelBytes('pairwise-mask', federationId, round, b, a);
}
/** AES-GCM associated data of a share: a share replayed to another receiver, sender, round or federation fails to open. */
export function shareAssociatedData(federationId: string, round: number, from: string, to: string): Uint8Array<ArrayBuffer> {
  return labelBytes('share', federationId, round, from, to);
}
