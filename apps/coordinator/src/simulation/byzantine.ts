import { decodeWeights, encodeWeights, scaleVector, uplinkCodec, type RoundCodec } from '@flock/fl-core';

/** How a simulated Byzantine device corrupts its honest update. */
export const BYZANTINE_MODES = ['signflip', 'scale10'] as const;
export type ByzantineMode = (typeof BYZANTINE_MODES)[number];

/** --byzantine FRACTION:MODE: that fraction of the devices (a seeded draw) sends corrupted updates. */
export interface ByzantinePlan {
  fraction: number;
  mode: ByzantineMode;
}

const FACTORS: Record<ByzantineMode, number> = { signflip: -1, scale10: 10 };

/** The device's encoded update, its delta sign-flipped or scaled tenfold, encoded again in the round's codec. */
export function corruptUpdate(payload: Uint8Array, mode: ByzantineMode, codec: RoundCodec | undefined): Uint8Array<ArrayBuffer> {
  const decoded = decodeWeights(payload);
  // encodeWeights allocates a fresh ArrayBuffer.
  return encodeWeights(decoded.manifest, scaleVector(decoded.values, FACTORS[mode]), 'delta', uplinkCodec(codec)) as Uint8Array<ArrayBuffer>;
}
