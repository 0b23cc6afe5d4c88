import type { FederationStatus } from '@flock/fl-core/protocol';
import type { FederationAction } from '../api/adminApi.ts';

/**
 * The operator actions that make sense in a status; the dashboard enables only these buttons.
 * The coordinator still decides, and answers a refused action with its reason.
 */
export function allowedActions(status: FederationStatus | undefined): ReadonlySet<FederationAction> {
  switch (status) {
    case undefined:
      return new Set();
    case 'idle':
      return new Set(['start', 'stop']);
    case 'waiting':
    case 'training':
    case 'aggregating':
      return new Set(['pause', 'stop']);
    case 'paused':
      return new Set(['resume', 'stop']);
    case 'finished':
    case 'stopped':
      return new Set();
    default: {
      const unknown: never = status;
      void unknown;
      return new Set();
    }
  }
}
