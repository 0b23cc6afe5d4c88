import { defineStrategy } from './definition.ts';
import { FED_OPT_PARAMS, serverOptimizer } from './serverOptimizer.ts';

/** FedYogi: v = v - (1 - beta2) delta^2 sign(v - delta^2), v grows additively, not multiplicatively. */
export const fedYogi = defineStrategy({
  name: 'fedyogi',
  label: 'FedYogi',
  summary: 'Yogi on the server over the mean update (Reddi et al. 2021).',
  params: FED_OPT_PARAMS,
  holdsUpdates: false,
  async: false,
  centralDp: true,
  create: (options, { size }) => serverOptimizer('fedyogi', (v, d2, beta2) => v - (1 - beta2) * d2 * Math.sign(v - d2), options, size),
});
