import { isUploadedModel } from '../protocol/device.ts';
import { zodReason } from '../protocol/issueWords.ts';
import { strategyDefinition } from '../strategy/catalog.ts';
import { MAX_HELD_BYTES, strategyOf } from '../strategy/federationStrategy.ts';
import { datasetProblem, datasetShape, demoDataset } from './datasetConfig.ts';
import { FederationConfig, roundSelectionSize } from './federation.ts';
import { modelProblem } from './modelFit.ts';
import { secureAggregationProblem } from './secureAggregation.ts';

/** What is known about a federation beyond its config. */
export interface ConfigContext {
  /** The model's number of values, known once the model is built (the coordinator): bounds what a robust strategy holds in memory. */
  parameterCount?: number;
  /** What the config came from, named when its schema refuses it: "federation config" unless told (flockctl names its file). */
  source?: string;
  /** 'several': coordinators sharing a database each fold the updates they receive (the coordinator knows): a strategy must aggregate in parts. */
  coordinators?: 'one' | 'several';
}

/**
 * Whatever keeps `config` from being a federation, in one sentence for the person who wrote it; null
 * when nothing does. The schema first, then what it alone cannot check: the dataset, the model against
 * the dataset, secure aggregation against the rest, the strategy against the mode, the privacy and the clients per round. Creating, editing,
 * cloning, `flockctl federation create` and the dashboard's form all ask this; the memory a robust
 * strategy holds is checked only where `parameterCount` is known. An uploaded model is checked against
 * the dataset where it is loaded.
 */
export function federationConfigProblem(
  config: unknown,
  { parameterCount, source = 'federation config', coordinators = 'one' }: ConfigContext = {},
): string | null {
  const parsed = FederationConfig.safeParse(config);
  if (!parsed.success) return `${source}: ${zodReason(parsed.error)}`;
  return (
    datasetAndModelProblem(parsed.data) ??
    secureAggregationProblem(parsed.data, coordinators === 'several') ??
    strategyProblem(parsed.data, parameterCount) ??
    (coordinators === 'several' ? sharedProblem(parsed.data) : null)
  );
}

/** Several coordinators each fold the updates they receive and the owner merges the parts: only synchronous, mean-based rounds split so. */
function sharedProblem(config: FederationConfig): string | null {
  const chosen = strategyOf(config).name;
  if (strategyDefinition(chosen).holdsUpdates) {
    return `strategy ${chosen} needs every update of a round at once, but several coordinators serve this Flock and each keeps only a sum of the updates it receives: choose a mean-based strategy (fedavg, fedprox, norm-bounded, fedadam...) or run one coordinator`;
  }
  if (config.mode.kind === 'async') {
    return 'async (FedBuff) mode folds each update into the model the moment it arrives, but several coordinators serve this Flock and fold updates apart: choose sync mode or run one coordinator';
  }
  return null;
}

function datasetAndModelProblem(config: FederationConfig): string | null {
  const demo = demoDataset(config.dataset);
  const dataset = demo ? datasetProblem(demo) : null;
  if (dataset) return `dataset: ${dataset}`;
  if (!demo && config.targetAccuracy !== undefined) {
    return "targetAccuracy needs the coordinator's own test data: a federation on device data runs its maxRounds (its devices report federated evaluation)";
  }
  return isUploadedModel(config.model) ? null : modelProblem(config.model, datasetShape(config.dataset));
}

/** The most devices a round may select, when the config bounds it. */
function largestSelection(config: FederationConfig): number | null {
  const perRound = config.clientsPerRound;
  if (typeof perRound === 'number') return perRound;
  const population = 'numDevices' in config.dataset ? config.dataset.numDevices : undefined;
  return population === undefined ? null : roundSelectionSize(perRound, population);
}

function strategyProblem(config: FederationConfig, parameterCount: number | undefined): string | null {
  const problem = strategyFitProblem(config, parameterCount);
  return problem && `strategy: ${problem}`;
}

function strategyFitProblem(config: FederationConfig, parameterCount: number | undefined): string | null {
  const chosen = strategyOf(config);
  const definition = strategyDefinition(chosen.name);
  const isAsync = config.mode.kind === 'async';
  if (isAsync && !definition.async) {
    return `strategy ${chosen.name} is not supported in async (FedBuff) mode, which aggregates with FedAvg; choose fedavg or sync mode`;
  }
  if (config.privacy?.mode === 'central') {
    if (isAsync) return "central DP is not supported in async (FedBuff) mode: staleness weights change each update's sensitivity; use local DP or sync mode";
    if (!definition.centralDp) return `central DP needs a mean-based strategy; ${chosen.name} does not average the clipped updates (use local DP with it)`;
  }
  if (!definition.holdsUpdates) return null;
  const clients = largestSelection(config);
  if (clients === null) {
    return `strategy ${chosen.name} holds every update of a round in memory: give clientsPerRound as a number (or the dataset's numDevices) so its memory is bounded`;
  }
  if (parameterCount === undefined) return null;
  const bytes = clients * parameterCount * 4;
  if (bytes <= MAX_HELD_BYTES) return null;
  return `strategy ${chosen.name} holds every update of a round: ${clients} clients per round x ${parameterCount} values x 4 bytes = ${Math.ceil(bytes / 2 ** 20)} MiB exceeds the ${MAX_HELD_BYTES / 2 ** 20} MiB bound; select fewer clients per round`;
}
