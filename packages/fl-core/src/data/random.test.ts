import { describe, expect, it } from 'vitest';
import { secureRandom } from './random.ts';

describe('secureRandom', () => {
  it('draws secure uniforms in [0, 1)', () => {
    const random = secureRandom();
    const draws = Array.from({ length: 3000 }, random);
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(1);
    expect(new Set(draws).size).toBeGreaterThan(2990);
  });
});
