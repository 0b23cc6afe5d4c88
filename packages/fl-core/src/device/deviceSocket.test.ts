import { describe, expect, it } from 'vitest';
import { reconnectDelayMs } from './deviceSocket.ts';

describe('reconnectDelayMs', () => {
  it("follows the devices' reconnection: 0.5 s doubling to 5 s, +-50% below the cap", () => {
    const low = () => 0;
    const high = () => 1;
    expect([0, 1, 2, 3, 4, 10].map((a) => reconnectDelayMs(a, low))).toEqual([250, 500, 1_000, 2_000, 4_000, 5_000]);
    expect([0, 1, 2, 3].map((a) => reconnectDelayMs(a, high))).toEqual([750, 1_500, 3_000, 5_000]);
  });
});
