import type { AggregationMode, DemoDataset, FederationConfig, ModelName, RoundDeadline } from '@flock/fl-core';
import { DEFAULT_DEADLINE, MNIST_TRAIN_EXAMPLES, MODEL_NAMES } from '@flock/fl-core';
import { NODE_BACKENDS, type NodeBackend } from '@flock/fl-core/node';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { RoundReport } from '../simulation/roundLedger.ts';
import { runSimulation, type SimulationPlan } from '../simulation/simulation.ts';
import { progressLine, roundLine, summaryLine, writeReport } from '../simulation/simulationReport.ts';
import { parseByzantine, parseStrategyOpts, STRATEGY_NAMES, strategyFields, type StrategyFlags } from './strategyFlags.ts';

interface SimulateFlags extends StrategyFlags {
  devices: number;
  fraction: number;
  rounds: number;
  model: ModelName;
  epochs: number;
  batch: number;
  lr: number;
  partition: Pick<DemoDataset, 'partition' | 'alpha'>;
  seed: number;
  targetAccuracy?: number;
  examplesPerDevice?: number;
  evalExamples: number;
  backend?: NodeBackend;
  evalBackend?: NodeBackend;
  threads?: number;
  deadline?: RoundDeadline;
  quorum?: number;
  belowQuorum?: FederationConfig['belowQuorum'];
  dropout?: number;
  secagg?: boolean;
  secaggDropout?: number;
  mode?: AggregationMode['kind'];
  buffer?: number;
  maxStaleness?: number;
  slowFraction?: number;
  slowFactor?: number;
  server?: string;
  token?: string;
  retryFor?: number;
  json?: boolean;
  out?: string;
}

const int = (min: number) => (raw: string) => {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`expected an integer >= ${min}`);
  return n;
};
const fraction = (raw: string) => {
  const n = Number(raw);
  if (!(n > 0 && n <= 1)) throw new InvalidArgumentError('expected a number in (0, 1]');
  return n;
};
const positive = (raw: string) => {
  const n = Number(raw);
  if (!(n > 0)) throw new InvalidArgumentError('expected a positive number');
  return n;
};
const unitInterval = (raw: string) => {
  const n = Number(raw);
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError('expected a number in [0, 1]');
  return n;
};
const nonNegative = (raw: string) => {
  const n = Number(raw);
  if (!(n >= 0)) throw new InvalidArgumentError('expected a number >= 0');
  return n;
};
const atLeastOne = (raw: string) => {
  const n = Number(raw);
  if (!(n >= 1)) throw new InvalidArgumentError('expected a number >= 1');
  return n;
};
function parseDeadline(raw: string): RoundDeadline {
  if (raw === 'adaptive') return DEFAULT_DEADLINE;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < 1_000 || ms > 86_400_000) throw new InvalidArgumentError('expected adaptive or a whole number of ms from 1000 to 86400000');
  return { mode: 'fixed', ms };
}
const oneOf =
  <T extends string>(values: readonly T[]) =>
  (raw: string) => {
    if (!values.includes(raw as T)) throw new InvalidArgumentError(`expected one of ${values.join(', ')}`);
    return raw as T;
  };
function parsePartition(raw: string): SimulateFlags['partition'] {
  const [kind, alpha] = raw.split(':');
  if (kind === 'iid' || kind === 'shards') {
    if (alpha !== undefined) throw new InvalidArgumentError(`${kind} takes no parameter`);
    return { partition: kind };
  }
  if (kind === 'dirichlet') return alpha === undefined ? { partition: kind } : { partition: kind, alpha: positive(alpha) };
  throw new InvalidArgumentError('expected iid, shards or dirichlet:ALPHA');
}

/** An option whose help gives its default as a person types it (iid, not {"partition":"iid"}; cpu, not "cpu"). */
function withDefault<T>(flags: string, description: string, parse: (raw: string) => T, value: T, words: string): Option {
  return new Option(flags, description).argParser(parse).default(value, words);
}

/** A fixed hour: without --deadline a simulated round waits for every selected device, as FedAvg does. */
const DEFAULT_SIMULATION_DEADLINE: RoundDeadline = { mode: 'fixed', ms: 3_600_000 };
const DEFAULT_QUORUM = 0.5;
const DEFAULT_BELOW_QUORUM: FederationConfig['belowQuorum'] = 'abandon';
const DEFAULT_BUFFER = 10;
const DEFAULT_MAX_STALENESS = 10;
const DEFAULT_SLOW_FACTOR = 5;
const DEFAULT_RETRY_FOR_S = 120;

function aggregationMode(f: SimulateFlags): AggregationMode {
  if ((f.mode ?? 'sync') === 'sync') {
    if (f.buffer !== undefined || f.maxStaleness !== undefined) throw new InvalidArgumentError('--buffer and --max-staleness need --mode async');
    return { kind: 'sync' };
  }
  return { kind: 'async', bufferSize: f.buffer ?? DEFAULT_BUFFER, maxStaleness: f.maxStaleness ?? DEFAULT_MAX_STALENESS };
}

/** The federation a simulation creates, from its flags: K = --devices shards, C = --fraction. */
export function simulationConfig(f: SimulateFlags): FederationConfig {
  const examplesPerDevice = f.examplesPerDevice ?? Math.floor(MNIST_TRAIN_EXAMPLES / f.devices);
  return {
    id: `sim-${Date.now().toString(36)}`,
    name: `simulation: ${f.devices} devices, ${f.model}, ${f.partition.partition}`,
    model: f.model,
    dataset: { kind: 'mnist', ...f.partition, examplesPerDevice, numDevices: f.devices, seed: f.seed },
    training: { epochs: f.epochs, batchSize: f.batch, learningRate: f.lr },
    maxRounds: f.rounds,
    // Rounds start once every device joined; with dropouts, later rounds go ahead with those online. A secure round
    // must not begin with fewer devices than its threshold: it waits for every device (those that dropped come back).
    minDevices: (f.dropout ?? 0) > 0 && !f.secagg ? 1 : f.devices,
    clientsPerRound: { fraction: f.fraction },
    ...(f.targetAccuracy === undefined ? {} : { targetAccuracy: f.targetAccuracy }),
    deadline: f.deadline ?? DEFAULT_SIMULATION_DEADLINE,
    quorum: f.quorum ?? DEFAULT_QUORUM,
    belowQuorum: f.belowQuorum ?? DEFAULT_BELOW_QUORUM,
    mode: aggregationMode(f),
    ...strategyFields(f),
    evalExamples: f.evalExamples,
    modelSeed: f.seed,
    ...(f.secagg ? { secureAggregation: { enabled: true } } : {}),
  };
}

export function addSimulateCommand(program: Command): void {
  const verbose = () => program.opts<{ verbose?: boolean }>().verbose === true;
  program
    .command('simulate')
    .description('run a federation of virtual devices (real Socket.IO, real protocol) and report each round')
    .option('--devices <n>', 'virtual devices K (the partition has K shards)', int(1), 100)
    .option('--fraction <c>', 'fraction C of the devices selected each round', fraction, 0.1)
    .option('--rounds <n>', 'round budget', int(1), 50)
    .addOption(withDefault('--model <name>', `zoo model: ${MODEL_NAMES.join(', ')}`, oneOf(MODEL_NAMES), 'mnist-mlp', 'mnist-mlp'))
    .option('--epochs <e>', 'local epochs E', int(1), 1)
    .option('--batch <b>', 'local batch size B', int(1), 10)
    .option('--lr <rate>', 'SGD learning rate', positive, 0.1)
    .addOption(
      withDefault('--partition <kind>', 'iid, shards (2 label-sorted shards per device) or dirichlet:ALPHA', parsePartition, { partition: 'iid' }, 'iid'),
    )
    .option('--seed <s>', 'seed of the partition, the initial model and the selection', int(0), 1)
    .option('--target-accuracy <a>', 'finish when the test accuracy reaches this', fraction)
    .option('--examples-per-device <n>', 'examples per device (default: 60000 / devices)', int(1))
    .option('--eval-examples <n>', 'MNIST test examples the coordinator evaluates on', int(1), 10_000)
    .option('--backend <name>', `force a backend: ${NODE_BACKENDS.join(', ')} (default: webgpu if Dawn finds an adapter, else cpu)`, oneOf(NODE_BACKENDS))
    .addOption(
      withDefault(
        '--eval-backend <name>',
        `backend of the in-process coordinator's evaluation: ${NODE_BACKENDS.join(', ')}`,
        oneOf(NODE_BACKENDS),
        'cpu',
        'cpu',
      ),
    )
    .option('--threads <n>', 'device threads (default: the number of cores, 1 on webgpu)', int(1))
    .option(
      '--deadline <ms|adaptive>',
      "round deadline: fixed ms, or adaptive (3x the slowest selected device's last training, 30 s to 10 min) (default: 3600000, an hour: every selected device is waited for)",
      parseDeadline,
    )
    .option('--quorum <q>', 'fraction of the selected devices that must answer by the deadline', unitInterval, DEFAULT_QUORUM)
    .addOption(
      withDefault(
        '--below-quorum <policy>',
        'below the quorum at the deadline: extend-once or abandon (the round is redone)',
        oneOf(['extend-once', 'abandon'] as const),
        DEFAULT_BELOW_QUORUM,
        DEFAULT_BELOW_QUORUM,
      ),
    )
    .option(
      '--dropout <p>',
      'probability that a device drops out of a round it trains for (disconnects mid-round, uploads nothing, comes back later)',
      unitInterval,
      0,
    )
    .option('--secagg', 'secure aggregation (SecAgg+): the coordinator sees only the sum of each round’s updates')
    .option(
      '--secagg-dropout <p>',
      'with --secagg: probability that a device drops out after sharing its keys, before its masked update (it comes back after the round)',
      unitInterval,
    )
    .addOption(
      withDefault(
        '--mode <kind>',
        'sync (FedAvg rounds) or async (FedBuff: every free device trains on the latest model)',
        oneOf(['sync', 'async'] as const),
        'sync',
        'sync',
      ),
    )
    .option('--buffer <k>', `async: aggregate every k updates (default: ${DEFAULT_BUFFER})`, int(1))
    .option('--max-staleness <s>', `async: refuse updates more than s aggregations old (default: ${DEFAULT_MAX_STALENESS})`, int(0))
    .option('--slow-fraction <f>', 'fraction of the devices that are slow (a seeded draw)', unitInterval, 0)
    .option('--slow-factor <x>', "a slow device's training takes x times longer", atLeastOne, DEFAULT_SLOW_FACTOR)
    .option('--strategy <name>', `aggregation strategy: ${STRATEGY_NAMES.join(', ')} (default: fedavg)`, oneOf(STRATEGY_NAMES))
    .option('--strategy-opts <json>', "the strategy's options as a JSON object, e.g. '{\"beta\":0.2}'", parseStrategyOpts)
    .option(
      '--byzantine <fraction:mode>',
      'that fraction of the devices (seeded) sends sign-flipped (signflip) or 10x-scaled (scale10) updates',
      parseByzantine,
    )
    .option('--dp-clip <c>', 'differential privacy: clip every update to this L2 norm', positive)
    .option('--dp-noise <z>', 'differential privacy: Gaussian noise multiplier z (std z x clip)', nonNegative)
    .option('--dp-delta <d>', 'differential privacy: the delta epsilon is reported at (default: 1e-5)', positive)
    .option(
      '--dp-mode <mode>',
      'central (the coordinator adds the noise), local (each device does) or distributed (with --secagg: each device adds a share, their sum the central noise)',
      oneOf(['central', 'local', 'distributed'] as const),
    )
    .option('--dp-target <epsilon>', 'stop the federation once epsilon reaches this', positive)
    .option('--server <url>', 'use this coordinator instead of starting one')
    .option('--token <token>', "the coordinator's admin token (with --server)")
    .option(
      '--retry-for <seconds>',
      'with --server: how long to wait for a coordinator that stops answering (a restart) before giving up',
      int(0),
      DEFAULT_RETRY_FOR_S,
    )
    .option('--json', 'one JSON line per round, then a summary line')
    .option('--out <dir>', 'write rounds.csv and accuracy.svg here')
    .action(async (flags: SimulateFlags) => {
      if (flags.server && !flags.token) throw new InvalidArgumentError('--server needs --token');
      if (flags.secaggDropout !== undefined && !flags.secagg) throw new InvalidArgumentError('--secagg-dropout needs --secagg');
      if (flags.dpMode === 'distributed' && !flags.secagg)
        throw new InvalidArgumentError('--dp-mode distributed needs --secagg: each device adds only a share of the noise');
      const config = simulationConfig(flags);
      const plan: SimulationPlan = {
        config,
        devices: flags.devices,
        behaviour: {
          seed: flags.seed,
          dropout: flags.dropout ?? 0,
          secaggDropout: flags.secaggDropout ?? 0,
          slowFactor: flags.slowFactor ?? DEFAULT_SLOW_FACTOR,
          comeBack: config.mode.kind === 'sync' ? 'after-round' : 'after-pause',
        },
        slowFraction: flags.slowFraction ?? 0,
        ...(flags.byzantine ? { byzantine: flags.byzantine } : {}),
        ...(flags.server
          ? {
              server: {
                url: flags.server,
                token: flags.token!,
                retry: { retryForMs: (flags.retryFor ?? DEFAULT_RETRY_FOR_S) * 1000, onWaiting: (m) => console.error(m) },
              },
            }
          : {}),
        ...(flags.backend ? { backend: flags.backend } : {}),
        ...(flags.evalBackend ? { evalBackend: flags.evalBackend } : {}),
        ...(flags.threads ? { threads: flags.threads } : {}),
        verbose: verbose(),
      };
      const rounds: RoundReport[] = [];
      const tty = !flags.json && process.stdout.isTTY;
      const summary = await runSimulation(
        plan,
        (r) => {
          rounds.push(r);
          if (flags.json) console.log(roundLine(r));
          else if (tty) process.stdout.write(progressLine(r, config.maxRounds));
          else console.log(progressLine(r, config.maxRounds).trim());
        },
        (message) => console.error(`device error: ${message}`),
      );
      if (tty) process.stdout.write('\n');
      console.log(summaryLine(summary));
      if (flags.out) await writeReport(flags.out, rounds, config.targetAccuracy);
    });
}
