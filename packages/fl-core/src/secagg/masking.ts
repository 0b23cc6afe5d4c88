import { secureRandom } from '../data/random.ts';
import { labelBytes } from './crypto.ts';
import { MaskAdder } from './maskStream.ts';
import type { SecAggRoundSettings } from './messages.ts';
import { quantizeWeighted, quantizeWithNoise } from './quantize.ts';

/** One mask to add to (sign 1) or subtract from (sign -1) a vector, from the 256-bit seed it expands. */
export interface MaskJob {
  seed: () => Promise<Uint8Array>;
  sign: 1 | -1;
}

/** Applies each job's mask in turn, straight into `target` (O(model) memory whatever the number of masks). */
export async function applyMasks(target: Uint32Array, jobs: readonly MaskJob[]): Promise<void> {
  const adder = await MaskAdder.create();
  for (const job of jobs) adder.add(target, await job.seed(), job.sign);
}

/** A mask whose seed is known: what a device masks with, and what the coordinator removes when unmasking. */
export interface SeededMask {
  seed: Uint8Array;
  sign: 1 | -1;
}

/**
 * Σ sign·mask mod 2^32 over `masks`, as a new vector of `length` words. The coordinator may hand the expansion to
 * threads of its own (apps/coordinator spreads it over worker threads); sumMasks is the one-thread default.
 */
export type MaskSummer = (masks: readonly SeededMask[], length: number) => Promise<Uint32Array>;

export async function sumMasks(masks: readonly SeededMask[], length: number): Promise<Uint32Array<ArrayBuffer>> {
  const sum = new Uint32Array(length);
  (await MaskAdder.create()).addAll(sum, masks);
  return sum;
}

/** What a device's masked vector is made from: its update, weight and the round's settings, and its masks' seeds. */
export interface MaskingWork {
  update: Float32Array;
  weight: number;
  settings: SecAggRoundSettings;
  masks: SeededMask[];
}

/**
 * Turns `work` into the vector a device sends. The tab runs it in its training worker (the page's thread stays free);
 * Node runs maskVector itself. `random` drives stochastic rounding and distributed DP's noise where given (seeded tests).
 */
export type Masker = (work: MaskingWork, random?: () => number) => Promise<Uint32Array>;

/** Quantizes `[w·clip(update)..., w]` (distributed DP's noise goes in before the masks, so the sum carries it), then adds the masks. */
export async function maskVector(work: MaskingWork, random: () => number = secureRandom()): Promise<Uint32Array> {
  const { update, weight, settings } = work;
  const masked = settings.noise
    ? quantizeWithNoise(update, { ...settings, noise: settings.noise }, random)
    : quantizeWeighted(update, weight, settings, random);
  const adder = await MaskAdder.create();
  for (const { seed, sign } of work.masks) adder.add(masked, seed, sign);
  return masked;
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
