import { asSentence, fieldName, fieldProblems, type FieldProblem } from '@flock/fl-core/protocol';
import { FederationConfig, federationConfigProblem, type DatasetConfig } from '@flock/fl-core/config';
import type { z } from 'zod';

/** What the form edits: a config as a person writes it (defaults not yet filled in). */
export type FederationDraft = z.input<typeof FederationConfig>;
type Path = readonly (string | number)[];

/** A new federation starts as the demo does: the 2NN on 600 IID MNIST examples per device. */
export const NEW_FEDERATION_DRAFT: FederationDraft = {
  id: '',
  name: '',
  model: 'mnist-mlp',
  dataset: { kind: 'mnist', partition: 'iid', examplesPerDevice: 600, seed: 1 },
  training: { epochs: 1, batchSize: 10, learningRate: 0.1, optimizer: 'sgd' },
  maxRounds: 20,
  minDevices: 2,
  clientsPerRound: 'all',
  deadline: { mode: 'adaptive', multiplier: 3, floorMs: 30_000, ceilingMs: 600_000 },
  quorum: 0.5,
  belowQuorum: 'extend-once',
  mode: { kind: 'sync' },
  codec: { uplink: 'int8', downlink: 'float16' },
  strategy: { name: 'fedavg', options: {} },
  evalExamples: 2000,
  modelSeed: 1,
};

/** The value at `path`, or undefined when a step is missing. */
export function getIn(draft: unknown, path: Path): unknown {
  let at: unknown = draft;
  for (const key of path) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<string | number, unknown>)[key];
  }
  return at;
}

/** A copy of `draft` with `value` at `path` (undefined removes the field); the rest is shared. */
export function setIn<T>(draft: T, path: Path, value: unknown): T {
  if (path.length === 0) return value as T;
  const [key, ...rest] = path as [string | number, ...(string | number)[]];
  const here = (typeof draft === 'object' && draft !== null ? draft : {}) as Record<string | number, unknown>;
  const next = { ...here };
  const child = setIn(here[key], rest, value);
  if (child === undefined) delete next[key];
  else next[key] = child;
  return next as T;
}

/** The dataset a kind starts with when the person switches to it. */
export function datasetOfKind(kind: DatasetConfig['kind'], current: FederationDraft['dataset']): FederationDraft['dataset'] {
  if (kind === 'device') {
    return { kind, schema: { type: 'csv', features: ['x1', 'x2'], label: 'label', classes: ['a', 'b'] }, testFraction: 0.2 };
  }
  if (current.kind !== 'device') return { ...current, kind };
  return { kind, partition: 'iid', examplesPerDevice: 600, seed: 1 };
}

export type DraftCheck = { ok: true; config: FederationConfig } | { ok: false; problems: FieldProblem[] };

/**
 * The schema's verdict, each problem in words with the field it concerns (shown next to that field);
 * then what the coordinator would refuse across fields (federationConfigProblem), for the whole federation.
 */
export function checkDraft(draft: FederationDraft): DraftCheck {
  const parsed = FederationConfig.safeParse(draft);
  if (!parsed.success) return { ok: false, problems: fieldProblems(parsed.error) };
  const problem = federationConfigProblem(parsed.data);
  if (problem) return { ok: false, problems: [{ path: '', field: fieldName([]), text: asSentence(problem) }] };
  return { ok: true, config: parsed.data };
}

/** Where each field shows its problem: the first one found at its path. */
export function problemsByPath(problems: readonly FieldProblem[]): ReadonlyMap<string, string> {
  const byPath = new Map<string, string>();
  for (const p of problems) if (!byPath.has(p.path)) byPath.set(p.path, p.text);
  return byPath;
}

/** The fields of an existing config a person may change: everything but its id. */
export function draftFromConfig(config: FederationConfig): FederationDraft {
  return structuredClone(config);
}

/** Comma-separated text to a list, and back. */
export function listOfText(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}
