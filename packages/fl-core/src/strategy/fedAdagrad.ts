import { defineStrategy } from './definition.ts';
import { FED_OPT_PARAMS, serverOptimizer } from './serverOptimizer.ts';

/** FedAdagrad: v = v + delta^2 (beta2 unused). */
export const fedAdagrad = defineStrategy({
  name: 'fedadagrad',
  label: 'FedAdagrad',
  summary: 'Adagrad on the server over the mean update (Reddi et al. 2021).',
  params: FED_OPT_PARAMS,
  holdsUpdates: false,
  async: false,
  centralDp: true,
  create: (options, { size }) => serverOptimizer('fedadagrad', (v, d2) => v + d2, options, size),
});
