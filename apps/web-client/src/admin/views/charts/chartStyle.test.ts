import { describe, expect, it } from 'vitest';
import { lineDots } from './chartStyle.ts';

describe('chart lines', () => {
  it('draws the point of a federation that has completed one round (a line through one point is invisible)', () => {
    expect(lineDots(1)).not.toBe(false);
  });

  it('draws a plain line through a thousand rounds', () => {
    expect(lineDots(1000)).toBe(false);
  });
});
