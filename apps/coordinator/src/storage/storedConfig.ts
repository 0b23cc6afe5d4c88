import { DEFAULT_CODEC, FederationConfig, LEGACY_CODEC } from '@flock/fl-core';

/** What a store keeps of a config: its codec written out, so that only configs from before codecs read as LEGACY_CODEC. */
export function configToStore(config: FederationConfig): FederationConfig {
  return { ...config, codec: config.codec ?? DEFAULT_CODEC };
}

/** A stored config read back; one stored before codecs existed keeps float32 (new defaults are for new federations only). */
export function configFromStore(stored: unknown): FederationConfig {
  return FederationConfig.parse(typeof stored === 'object' && stored !== null && !('codec' in stored) ? { ...stored, codec: LEGACY_CODEC } : stored);
}
