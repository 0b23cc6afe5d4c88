import { describe, expect, it } from 'vitest';
import { shortId } from './format.ts';

describe('shortId', () => {
  it("shortens a tab's random id to its first 8 hex digits", () => {
    expect(shortId('0123456789abcdef0123456789abcdef')).toBe('01234567…');
  });

  it('shows a name an operator chose whole, however long', () => {
    expect(shortId('device-0001')).toBe('device-0001');
    expect(shortId('silo-berlin-hospital')).toBe('silo-berlin-hospital');
  });
});
