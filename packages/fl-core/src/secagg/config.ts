import { z } from 'zod';

/** shamir-secret-sharing works in GF(2^8): a secret splits into at most 255 shares, so a device's group (itself and its neighbours) holds at most 255 devices. */
export const MAX_SECAGG_GROUP = 255;

/** Each coordinate of an update is clipped to [-clip, clip] before quantization unless the federation says otherwise. */
export const DEFAULT_SECAGG_CLIP = 1;

/**
 * The federation's `secureAggregation` block. `neighbours` is the size k of each device's group (the device and (k-1)/2
 * ring neighbours on each side, so odd); `threshold` t is how many of a group must answer to unmask; both derive from
 * the number of devices when left out (deriveSecAggParams).
 */
export const SecureAggregationConfig = z
  .object({
    enabled: z.boolean(),
    neighbours: z
      .number()
      .int()
      .min(3, 'neighbours must be at least 3')
      .max(MAX_SECAGG_GROUP, `neighbours can be at most ${MAX_SECAGG_GROUP} (Shamir shares in GF(2^8))`)
      .refine((k) => k % 2 === 1, 'neighbours must be odd: the device itself and as many neighbours on each side of the ring')
      .optional(),
    threshold: z.number().int().min(2, 'threshold must be at least 2').max(MAX_SECAGG_GROUP).optional(),
    clip: z.number().positive('clip must be above 0').max(1e6).optional(),
  })
  .refine((c) => c.neighbours === undefined || c.threshold === undefined || c.threshold <= c.neighbours, {
    message: 'threshold cannot exceed neighbours: a group of k devices cannot produce more than k shares',
    path: ['threshold'],
  });
export type SecureAggregationConfig = z.infer<typeof SecureAggregationConfig>;
