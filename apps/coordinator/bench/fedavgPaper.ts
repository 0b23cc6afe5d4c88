import { parseArgs } from 'node:util';
import type { RoundRecord } from '@flock/fl-core';
import type { NodeBackend } from '@flock/fl-core/node';
import { runSimulation } from '../src/simulation/simulation.ts';
import { simulationConfig } from '../src/cli/simulateCommand.ts';

/** One setting of McMahan et al. 2017 (Communication-Efficient Learning of Deep Networks from Decentralized Data). */
export interface PaperSetting {
  name: string;
  model: 'mnist-mlp' | 'mnist-cnn';
  partition: 'iid' | 'shards';
  epochs: number;
  batch: number;
  lr: number;
  target: number;
  /** Rounds the paper reports to reach `target` (Table 1 / Table 2). */
  paperRounds: number;
  budget: number;
}

/** Shared flags: --threads, --backend, --eval-backend, --eval-examples, --lr, --seed, --only NAME, --budget-NAME N. */
export function benchFlags(names: string[]) {
  const { values } = parseArgs({
    options: {
      threads: { type: 'string' },
      backend: { type: 'string' },
      'eval-backend': { type: 'string' },
      'eval-examples': { type: 'string', default: '10000' },
      lr: { type: 'string' },
      seed: { type: 'string', default: '1' },
      only: { type: 'string' },
      ...Object.fromEntries(names.map((n) => [`budget-${n}`, { type: 'string' as const }])),
    },
  });
  return values as Record<string, string | undefined>;
}

/** Runs one setting with K=100 devices, C=0.1, and prints a JSON line per round and one result line. */
export async function runPaperSetting(bench: string, s: PaperSetting, flags: Record<string, string | undefined>): Promise<void> {
  const budget = Number(flags[`budget-${s.name}`] ?? s.budget);
  const lr = Number(flags.lr ?? s.lr);
  const config = simulationConfig({
    devices: 100,
    fraction: 0.1,
    rounds: budget,
    model: s.model,
    epochs: s.epochs,
    batch: s.batch,
    lr,
    partition: { partition: s.partition },
    seed: Number(flags.seed),
    targetAccuracy: s.target,
    evalExamples: Number(flags['eval-examples']),
  });
  const summary = await runSimulation(
    {
      config,
      devices: 100,
      ...(flags.backend ? { backend: flags.backend as NodeBackend } : {}),
      ...(flags['eval-backend'] ? { evalBackend: flags['eval-backend'] as NodeBackend } : {}),
      ...(flags.threads ? { threads: Number(flags.threads) } : {}),
    },
    (r: RoundRecord) => console.log(JSON.stringify({ bench, setting: s.name, round: r.round, accuracy: r.accuracy, durationMs: r.durationMs })),
    (m) => console.error(`device error: ${m}`),
  );
  console.log(
    JSON.stringify({
      bench,
      setting: s.name,
      model: s.model,
      partition: s.partition,
      K: 100,
      C: 0.1,
      E: s.epochs,
      B: s.batch,
      lr,
      target: s.target,
      roundsToTarget: summary.roundsToTarget,
      paperRounds: s.paperRounds,
      roundBudget: budget,
      roundsRun: summary.rounds,
      bestAccuracy: summary.bestAccuracy,
      wallSeconds: Math.round(summary.wallSeconds),
      backend: summary.backend,
      threads: summary.threads,
    }),
  );
}
