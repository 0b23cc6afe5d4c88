import { describe, expect, it } from 'vitest';
import { privacySpend } from './privacySpend.ts';

describe('privacySpend', () => {
  it("adds the queries' ε to training's and says it against the target, in words", () => {
    expect(privacySpend({ targetEpsilon: 8 }, 3.2, 1)).toEqual({
      training: 3.2,
      queries: 1,
      total: 4.2,
      words: 'Training has spent ε 3.2 and queries ε 1: ε 4.2 of the target 8.',
    });
    expect(privacySpend({}, null, 0.5).words).toBe('Training has spent no ε yet and queries ε 0.5: ε 0.5 in all.');
    expect(privacySpend({ targetEpsilon: 2 }, 1.23456, 0).words).toBe('Training has spent ε 1.235 and queries ε 0: ε 1.235 of the target 2.');
  });

  it('gives no total when training adds no noise: it has no ε bound', () => {
    expect(privacySpend(undefined, null, 1.5)).toEqual({
      training: null,
      queries: 1.5,
      total: null,
      words: 'Training adds no differential-privacy noise, so it has no ε bound; queries have spent ε 1.5.',
    });
  });
});
