import type { FederationConfig } from '../../config/federation.ts';
import type { DistributedNoise } from '../../secagg/quantize.ts';
import type { Strategy } from '../strategy.ts';
import type { PrivacyConfig } from './privacyConfig.ts';

/**
 * The strategy with distributed DP: devices are told to clip as they train; the noise is added after quantization, in
 * secure aggregation's masking step (quantizeWithNoise), which clips again so the noise always matches the bound.
 */
export function withDistributedDp(inner: Strategy, privacy: PrivacyConfig): Strategy {
  return { ...inner, instructions: () => ({ ...inner.instructions(), clipNorm: privacy.clipNorm }) };
}

/** What a secure round tells its devices to add (SecAggServerOptions.noise); undefined unless the federation runs distributed DP. */
export function distributedNoiseOf(config: Pick<FederationConfig, 'privacy'>): DistributedNoise | undefined {
  const privacy = config.privacy;
  return privacy?.mode === 'distributed' ? { clipNorm: privacy.clipNorm, noiseMultiplier: privacy.noiseMultiplier } : undefined;
}
