import { defineStrategy } from './definition.ts';
import { FED_OPT_PARAMS, serverOptimizer } from './serverOptimizer.ts';

/** FedAdam: v = beta2 v + (1 - beta2) delta^2. */
export const fedAdam = defineStrategy({
  name: 'fedadam',
  label: 'FedAdam',
  summary: 'Adam on the server over the mean update (Reddi et al. 2021).',
  params: FED_OPT_PARAMS,
  holdsUpdates: false,
  async: false,
  centralDp: true,
  create: (options, { size }) => serverOptimizer('fedadam', (v, d2, beta2) => beta2 * v + (1 - beta2) * d2, options, size),
});
