import { clipToNorm } from '../../aggregation/vectorMath.ts';
import { gaussian } from '../../data/random.ts';
import type { RoundInstructions } from '../../protocol/device.ts';
import type { Strategy } from '../strategy.ts';
import type { PrivacyConfig } from './privacyConfig.ts';

/** The strategy with local DP: each device clips its update and adds the noise itself. */
export function withLocalDp(inner: Strategy, privacy: PrivacyConfig): Strategy {
  return {
    ...inner,
    instructions: () => ({ ...inner.instructions(), clipNorm: privacy.clipNorm, noiseStd: privacy.noiseMultiplier * privacy.clipNorm }),
  };
}

/** The device's side of a round's instructions: clip to `clipNorm`, then add N(0, noiseStd^2) to every value. */
export function privatizeDelta(delta: Float32Array, instructions: RoundInstructions, random: () => number): Float32Array {
  const clipped = instructions.clipNorm === undefined ? delta : clipToNorm(delta, instructions.clipNorm);
  const std = instructions.noiseStd ?? 0;
  if (std === 0) return clipped;
  const out = new Float32Array(clipped.length);
  for (let i = 0; i < out.length; i++) out[i] = clipped[i]! + std * gaussian(random);
  return out;
}
