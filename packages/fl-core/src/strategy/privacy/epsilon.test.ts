import { describe, expect, it } from 'vitest';
import { PrivacyConfig } from './privacyConfig.ts';
import { epsilonAfter, privacyGuarantee, samplingRate } from './epsilon.ts';
import { gaussianEpsilon } from './rdpAccountant.ts';

const central = PrivacyConfig.parse({ mode: 'central', clipNorm: 1, noiseMultiplier: 1.1 });
const dataset = { kind: 'mnist', partition: 'iid', examplesPerDevice: 600, numDevices: 100, seed: 1 } as const;

describe('epsilon per round', () => {
  it('samples at the selected fraction, or clientsPerRound over the population, else assumes every round', () => {
    expect(samplingRate({ clientsPerRound: { fraction: 0.1 }, dataset }, central)).toBe(0.1);
    expect(samplingRate({ clientsPerRound: 20, dataset }, central)).toBe(0.2);
    expect(samplingRate({ clientsPerRound: 20, dataset: { ...dataset, numDevices: undefined } }, central)).toBe(1);
    expect(samplingRate({ clientsPerRound: { fraction: 0.1 }, dataset }, { ...central, mode: 'local' })).toBe(1);
  });

  it('is the accountant at the federation delta after N rounds, and null without DP', () => {
    const config = { clientsPerRound: { fraction: 0.1 }, dataset, privacy: central };
    expect(epsilonAfter(config, 30)).toBe(gaussianEpsilon(0.1, 1.1, 30, 1e-5));
    expect(epsilonAfter({ ...config, privacy: undefined }, 30)).toBeNull();
  });

  it('counts distributed DP as central DP with the same multiplier, without sampling: the coordinator knows who took part', () => {
    const distributed = { ...central, mode: 'distributed' as const };
    const config = { clientsPerRound: { fraction: 0.1 }, dataset, privacy: distributed };
    expect(samplingRate(config, distributed)).toBe(1);
    expect(epsilonAfter(config, 30)).toBe(gaussianEpsilon(1, 1.1, 30, 1e-5));
    expect(epsilonAfter(config, 30)).toBe(epsilonAfter({ clientsPerRound: 'all', dataset, privacy: central }, 30));
  });

  it('says the guarantee in one sentence', () => {
    expect(privacyGuarantee(central, 2.345)).toMatch(/adds noise.*\(ε, δ = 0.00001\)-differential privacy.*ε = 2.35/);
    expect(privacyGuarantee({ ...central, mode: 'distributed' }, 1.5)).toMatch(
      /^Your device clips its update and adds its share of noise before masking it; the coordinator can unmask only the sum .*\(ε, δ = 0.00001\)-differential privacy.* So far ε = 1.50.$/,
    );
    expect(privacyGuarantee(undefined, null)).toMatch(/no differential-privacy noise/);
  });
});
