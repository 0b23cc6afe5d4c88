import { z } from 'zod';
import { boundedNumber } from '../../protocol/boundedNumber.ts';

/**
 * Differential privacy. `central` (DP-FedAvg, McMahan et al. 2018): the coordinator clips every
 * update to `clipNorm` and adds Gaussian noise of std noiseMultiplier x clipNorm to their sum.
 * `local`: each device clips its own update and adds that noise before upload (an untrusted
 * coordinator). `distributed` (with secure aggregation only; Kairouz, Liu, Steinke 2021): each
 * device clips its update and adds a share of discrete Gaussian noise, so that the sum the
 * coordinator unmasks, of at least the threshold t devices, carries the central noise: the
 * coordinator is not trusted, yet the noise is central's rather than local's n-fold.
 * Epsilon at `delta` is reported after every round; at `targetEpsilon` the federation stops or warns.
 */
export const PrivacyConfig = z.object({
  mode: z.enum(['central', 'local', 'distributed']),
  clipNorm: boundedNumber({ min: 0, max: 1e6, exclusiveMin: true, why: 'an L2 norm' }),
  noiseMultiplier: boundedNumber({ min: 0, max: 1_000 }),
  delta: boundedNumber({ min: 0, max: 0.1, exclusiveMin: true, why: 'a probability' }).default(1e-5),
  targetEpsilon: boundedNumber({ min: 0, max: 1e6, exclusiveMin: true }).optional(),
  onTarget: z.enum(['stop', 'warn']).default('stop'),
});
export type PrivacyConfig = z.infer<typeof PrivacyConfig>;
export type PrivacyConfigInput = z.input<typeof PrivacyConfig>;
