import { DEFAULT_SECAGG_CLIP, type SecureAggregationConfig } from '../secagg/config.ts';
import { deriveSecAggParams } from '../secagg/params.ts';
import { strategyDefinition } from '../strategy/catalog.ts';
import { strategyOf } from '../strategy/federationStrategy.ts';
import { roundSelectionSize, type FederationConfig } from './federation.ts';

type SecureAggregationFields = Pick<FederationConfig, 'secureAggregation'>;

/** The federation's secure aggregation when it is on; null when absent or disabled. */
export function secureAggregationOf(config: SecureAggregationFields): SecureAggregationConfig | null {
  return config.secureAggregation?.enabled ? config.secureAggregation : null;
}

/**
 * Each coordinate of an update is clipped to [-clip, clip] before quantization: the federation's own `clip`, else DP's
 * clip norm (an update of L2 norm C has no coordinate beyond C, so nothing more is cut and the levels are finer), else 1.
 */
export function secureAggregationClip(config: Pick<FederationConfig, 'secureAggregation' | 'privacy'>): number {
  return config.secureAggregation?.clip ?? config.privacy?.clipNorm ?? DEFAULT_SECAGG_CLIP;
}

/**
 * Secure aggregation in one sentence for the person at a device and the operator; null when it is off. The number is
 * the threshold of the smallest round the federation may run: no sum of fewer devices is ever published.
 */
export function secureAggregationSentence(config: FederationConfig): string | null {
  const secure = secureAggregationOf(config);
  if (!secure) return null;
  const params = deriveSecAggParams(roundSelectionSize(config.clientsPerRound, config.minDevices), secure);
  const least = params.ok ? params.value.threshold : (secure.threshold ?? 2);
  return `Updates are securely aggregated: the coordinator sees only the sum of the updates of at least ${least} devices, never one device's update.`;
}

/**
 * What secure aggregation cannot run with, in one sentence: a strategy that reads each update, async mode, central DP,
 * several coordinators, or rounds smaller than its threshold; and distributed DP without it. Null when it is off or runs.
 */
export function secureAggregationProblem(config: FederationConfig, severalCoordinators: boolean): string | null {
  const secure = secureAggregationOf(config);
  if (!secure) {
    return config.privacy?.mode === 'distributed'
      ? "distributed DP has each device add only a share of the noise, which protects it only inside a secure sum of many devices' updates: turn secure aggregation on, or choose local or central DP"
      : null;
  }
  const chosen = strategyOf(config).name;
  if (strategyDefinition(chosen).holdsUpdates) {
    return `strategy ${chosen} needs every device's update in the clear; secure aggregation shows the coordinator only their sum: choose FedAvg, FedAvgM or a FedOpt strategy, or turn secure aggregation off`;
  }
  if (config.mode.kind === 'async') {
    return 'async (FedBuff) mode folds each update into the model as it arrives, but secure aggregation reveals only the sum of a whole round: choose sync mode, or turn secure aggregation off';
  }
  if (config.privacy?.mode === 'central') {
    return 'central DP clips and noises each update on the coordinator, but secure aggregation shows the coordinator only their sum: choose distributed DP (each device adds its share of the noise to the sum) or local DP, or turn one of them off';
  }
  if (severalCoordinators) {
    return "secure aggregation keeps each round's key exchange on one coordinator, but several coordinators serve this Flock: run one coordinator, or turn secure aggregation off";
  }
  return smallRoundProblem(config, secure);
}

/** A round begins once minDevices are online; the devices it selects then must reach the threshold (at least 2: a sum of one device is its update). */
function smallRoundProblem(config: FederationConfig, secure: SecureAggregationConfig): string | null {
  const needed = secure.threshold ?? 2;
  const smallest = roundSelectionSize(config.clientsPerRound, config.minDevices);
  if (smallest >= needed) return null;
  const begins = `a round may begin with only ${smallest} device${smallest === 1 ? '' : 's'} (minDevices ${config.minDevices}, clientsPerRound ${JSON.stringify(config.clientsPerRound)})`;
  const raise = raiseToReach(config.clientsPerRound, needed);
  return secure.threshold === undefined
    ? `${begins} and secure aggregation would show the coordinator that device's update: ${raise}`
    : `${begins}, fewer than the secure aggregation threshold of ${needed}: ${raise}, or lower secureAggregation.threshold`;
}

function raiseToReach(clientsPerRound: FederationConfig['clientsPerRound'], needed: number): string {
  if (clientsPerRound === 'all') return `raise minDevices to at least ${needed}`;
  if (typeof clientsPerRound === 'number') return `raise minDevices and clientsPerRound to at least ${needed}`;
  return `raise minDevices to at least ${Math.ceil((needed - 0.5) / clientsPerRound.fraction)}`;
}
