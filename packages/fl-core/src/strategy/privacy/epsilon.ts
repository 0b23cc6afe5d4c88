import type { FederationConfig } from '../../config/federation.ts';
import type { PrivacyConfig } from './privacyConfig.ts';
import { gaussianEpsilon } from './rdpAccountant.ts';

/**
 * The chance a given device takes part in a round, as the accountant assumes it: the selected
 * fraction, or clientsPerRound over the federation's device count; 1 (no amplification) when the
 * population is unknown. Local and distributed DP never count on sampling: they guard against the
 * coordinator, and the coordinator knows which devices took part.
 */
export function samplingRate(config: Pick<FederationConfig, 'clientsPerRound' | 'dataset'>, privacy: PrivacyConfig): number {
  if (privacy.mode !== 'central') return 1;
  const perRound = config.clientsPerRound;
  if (perRound === 'all') return 1;
  if (typeof perRound === 'object') return perRound.fraction;
  const population = 'numDevices' in config.dataset ? config.dataset.numDevices : undefined;
  return population ? Math.min(1, perRound / population) : 1;
}

/**
 * Epsilon at the federation's delta after `rounds` rounds; null for a federation without DP. Distributed DP counts as
 * central DP with the same noise multiplier: each device adds 1/t of the central variance (quantizeWithNoise) and no
 * sum of fewer than t devices is unmasked, so every published sum carries at least the central noise (more when more
 * than t devices contribute; this counts the guaranteed floor). The sum of t discrete Gaussians of std >= 1 is as private
 * as one Gaussian up to a term below 1e-300 (Kairouz, Liu, Steinke 2021, Theorem 1).
 */
export function epsilonAfter(config: Pick<FederationConfig, 'clientsPerRound' | 'dataset' | 'privacy'>, rounds: number): number | null {
  const privacy = config.privacy;
  if (!privacy) return null;
  return gaussianEpsilon(samplingRate(config, privacy), privacy.noiseMultiplier, rounds, privacy.delta);
}

/** The guarantee in one sentence, for the person whose device contributes. */
export function privacyGuarantee(privacy: PrivacyConfig | undefined, epsilon: number | null): string {
  if (!privacy) return 'This federation adds no differential-privacy noise: your examples stay on this device, but the updates it sends are not noised.';
  const spent = epsilon === null || epsilon === 0 ? '' : ` So far ε = ${epsilon.toFixed(2)}.`;
  const budget = `(ε, δ = ${privacy.delta})-differential privacy`;
  switch (privacy.mode) {
    case 'local':
      return `Your device clips its update and adds noise before sending it, so even the coordinator learns at most what ${budget} allows about your data.${spent}`;
    case 'central':
      return `The coordinator clips every update and adds noise to their sum, so the model reveals at most what ${budget} allows about any one device's data.${spent}`;
    case 'distributed':
      return `Your device clips its update and adds its share of noise before masking it; the coordinator can unmask only the sum of many devices' updates, whose noise together means it learns at most what ${budget} allows about your data, as long as the other devices add their share too.${spent}`;
    default:
      return privacy.mode satisfies never;
  }
}
