import { describe, expect, it } from 'vitest';
import { computeRdp, epsilonFromRdp, gaussianEpsilon, logErfc } from './rdpAccountant.ts';

// Reference values from google/differential-privacy (the accountant TensorFlow Privacy uses),
// python/dp_accounting/dp_accounting/rdp/rdp_privacy_accountant_test.py.
describe('RDP accountant', () => {
  it('matches dp_accounting test_compute_rdp_poisson_sampled_gaussian: q=0.01, z=2.5, 50 steps', () => {
    const rdp = computeRdp(0.01, 2.5, 50, [1.5, 2.5, 5, 50, 100]);
    const expected = [6.70579741e-4, 1.0854871e-3, 2.18075656e-3, 2.38460375e-2, 1.67416308e2];
    rdp.forEach((r, i) => expect(Math.abs(r - expected[i]!) / expected[i]!).toBeLessThan(1e-4));
  });

  it('matches dp_accounting test_compute_epsilon_delta_pure_dp: constant RDP 1.1 at orders 2..32, delta 1e-5', () => {
    const orders = Array.from({ length: 31 }, (_, i) => i + 2);
    const { epsilon, order } = epsilonFromRdp(
      orders,
      orders.map(() => 1.1),
      1e-5,
    );
    expect(epsilon).toBeCloseTo(1.32783806176, 9);
    expect(order).toBe(32);
  });

  it('matches dp_accounting test_compute_epsilon_delta_gaussian: z=4.530877117 without sampling is (1, 1e-6)-DP', () => {
    const orders = Array.from({ length: 99_000 }, (_, i) => 0.001 * (i + 1000));
    expect(epsilonFromRdp(orders, computeRdp(1, 4.530877117, 1, orders), 1e-6).epsilon).toBeCloseTo(1, 5);
  });

  it('grows with rounds and shrinks with noise; no noise means no guarantee', () => {
    const e10 = gaussianEpsilon(0.1, 1.1, 10, 1e-5);
    expect(gaussianEpsilon(0.1, 1.1, 100, 1e-5)).toBeGreaterThan(e10);
    expect(gaussianEpsilon(0.1, 2, 10, 1e-5)).toBeLessThan(e10);
    expect(gaussianEpsilon(0.1, 0, 1, 1e-5)).toBe(Infinity);
    expect(gaussianEpsilon(0.1, 1, 0, 1e-5)).toBe(0);
  });

  it('computes log(erfc) without underflow where erfc itself would', () => {
    expect(logErfc(0)).toBeCloseTo(0, 6);
    expect(logErfc(1)).toBeCloseTo(Math.log(0.157299207050285), 6);
    expect(logErfc(-1)).toBeCloseTo(Math.log(1.842700792949715), 6);
    // erfc(30) = 2.56e-393 underflows a double; its log is -903.0
    expect(logErfc(30)).toBeCloseTo(-30 * 30 - Math.log(30 * Math.sqrt(Math.PI)) + Math.log1p(-1 / 1800), 3);
  });
});
