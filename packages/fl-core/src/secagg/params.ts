import { MAX_SECAGG_GROUP, type SecureAggregationConfig } from './config.ts';

/** Group size k (the device itself and its neighbours) and threshold t of one round. */
export interface SecAggGroupParams {
  neighbours: number;
  threshold: number;
}

export type SecAggResult<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Modulus of the masked domain: 2^32, so Uint32Array arithmetic wraps exactly as the protocol needs. */
export const SECAGG_MODULUS = 2 ** 32;

/**
 * k = 2·ceil(log2 n) + 1 (SecAgg+: a group of about 2 log2 n), capped at n (then everyone is everyone's neighbour);
 * t = max(2, ceil(k / 3)): the coordinator needs t of a device's group to collude with it to unmask that device, and a
 * round survives while every group keeps t members (about a third may drop). Refuses configs the protocol cannot run.
 */
export function deriveSecAggParams(
  deviceCount: number,
  config: Pick<SecureAggregationConfig, 'neighbours' | 'threshold'> = {},
): SecAggResult<SecAggGroupParams> {
  const wanted = config.neighbours ?? 2 * Math.ceil(Math.log2(Math.max(deviceCount, 2))) + 1;
  if (wanted > MAX_SECAGG_GROUP)
    return { ok: false, reason: `A group of ${wanted} devices is more than the ${MAX_SECAGG_GROUP} Shamir shares allow; choose fewer neighbours.` };
  const neighbours = Math.min(wanted, deviceCount);
  const threshold = config.threshold ?? Math.max(2, Math.ceil(neighbours / 3));
  if (deviceCount < Math.max(threshold, 2))
    return {
      ok: false,
      reason: `Secure aggregation needs at least ${Math.max(threshold, 2)} devices in the round and ${deviceCount} took part; the round is redone when more join.`,
    };
  if (threshold > neighbours)
    return {
      ok: false,
      reason: `The threshold (${threshold}) is larger than a device's group (${neighbours} devices), so no device could ever be unmasked; lower the threshold.`,
    };
  return { ok: true, value: { neighbours, threshold } };
}
