import { describe, expect, it } from 'vitest';
import { parseByzantine, parseStrategyOpts, strategyFields } from './strategyFlags.ts';

describe('flockctl simulate strategy flags', () => {
  it('parses --byzantine FRACTION:MODE and refuses anything else with the expected form', () => {
    expect(parseByzantine('0.2:signflip')).toEqual({ fraction: 0.2, mode: 'signflip' });
    expect(() => parseByzantine('0.2:flip')).toThrow(/MODE one of signflip, scale10/);
    expect(() => parseByzantine('1.5:scale10')).toThrow(/FRACTION in \[0, 1\)/);
  });

  it('validates --strategy-opts against the strategy and builds privacy from the --dp flags', () => {
    expect(strategyFields({ strategy: 'trimmed-mean', strategyOpts: parseStrategyOpts('{"beta":0.1}') })).toEqual({
      strategy: { name: 'trimmed-mean', options: { beta: 0.1 } },
    });
    expect(() => strategyFields({ strategy: 'trimmed-mean', strategyOpts: { beta: 0.9 } })).toThrow(
      /--strategy-opts: options.beta: expected a number from 0 to 0.49, got 0.9/,
    );
    expect(() => parseStrategyOpts('[1]')).toThrow(/JSON object/);
    expect(strategyFields({ dpClip: 1, dpNoise: 1.1 })).toEqual({
      strategy: { name: 'fedavg', options: {} },
      privacy: { mode: 'central', clipNorm: 1, noiseMultiplier: 1.1, delta: 1e-5, onTarget: 'stop' },
    });
    expect(() => strategyFields({ dpClip: 1 })).toThrow(/both --dp-clip and --dp-noise/);
  });
});
