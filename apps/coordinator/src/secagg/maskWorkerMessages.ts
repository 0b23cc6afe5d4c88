import type { SeededMask } from '@flock/fl-core/secagg';

/** One thread's share of an unmasking: the masks it expands and sums into one vector of `length` words. */
export interface MaskSumRequest {
  id: number;
  masks: SeededMask[];
  length: number;
}

export type MaskSumReply = { id: number; ok: true; sum: Uint32Array } | { id: number; ok: false; reason: string };
