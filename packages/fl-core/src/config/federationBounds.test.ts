import { describe, expect, it } from 'vitest';
import { strategyCatalog } from '../strategy/catalog.ts';
import { MINIMAL_CONFIG } from '../testing/configFixture.ts';
import { FederationConfig } from './federation.ts';

/**
 * Every number a federation config holds has a lower and an upper bound: the bound itself is
 * accepted, a value past it is refused with a sentence that names the range and the value sent.
 */
type Config = Record<string, unknown>;
const demo: Config = {
  ...MINIMAL_CONFIG,
  dataset: { kind: 'mnist', partition: 'dirichlet', alpha: 0.5, examplesPerDevice: 600, numDevices: 10, seed: 1 },
  targetAccuracy: 0.9,
  deadline: { mode: 'adaptive', multiplier: 3, floorMs: 1_000, ceilingMs: 86_400_000 },
  mode: { kind: 'async', bufferSize: 10, maxStaleness: 5 },
  codec: { uplink: 'topk', topkFraction: 0.01, downlink: 'float16' },
  privacy: { mode: 'central', clipNorm: 1, noiseMultiplier: 1, delta: 1e-5, targetEpsilon: 8 },
  maxExamplesPerDevice: 1_000,
};
const fixed: Config = { ...MINIMAL_CONFIG, deadline: { mode: 'fixed', ms: 60_000 }, clientsPerRound: { fraction: 0.5 } };
const device: Config = {
  ...MINIMAL_CONFIG,
  dataset: { kind: 'device', schema: { type: 'image', width: 28, height: 28, channels: 1, classes: ['a', 'b'] }, testFraction: 0.2 },
};

interface Row {
  path: string;
  base: Config;
  min: number;
  max: number;
  integer?: boolean;
  exclusiveMin?: boolean;
  /** Where the refusal points when it is not the field itself (a union names its alternatives). */
  refusedAt?: string;
}
const ROWS: Row[] = [
  { path: 'maxRounds', base: demo, min: 1, max: 100_000, integer: true },
  { path: 'minDevices', base: demo, min: 1, max: 10_000, integer: true },
  { path: 'clientsPerRound', base: demo, min: 1, max: 10_000, integer: true, refusedAt: 'clientsPerRound' },
  { path: 'clientsPerRound.fraction', base: fixed, min: 0, max: 1, exclusiveMin: true, refusedAt: 'clientsPerRound' },
  { path: 'targetAccuracy', base: demo, min: 0, max: 1, exclusiveMin: true },
  { path: 'deadline.ms', base: fixed, min: 1_000, max: 86_400_000, integer: true },
  { path: 'deadline.multiplier', base: demo, min: 1, max: 100 },
  {
    path: 'deadline.floorMs',
    base: { ...demo, deadline: { mode: 'adaptive', multiplier: 3, floorMs: 1_000, ceilingMs: 86_400_000 } },
    min: 1_000,
    max: 86_400_000,
    integer: true,
  },
  { path: 'deadline.ceilingMs', base: demo, min: 1_000, max: 86_400_000, integer: true },
  { path: 'quorum', base: demo, min: 0, max: 1 },
  { path: 'mode.bufferSize', base: demo, min: 1, max: 10_000, integer: true },
  { path: 'mode.maxStaleness', base: demo, min: 0, max: 1_000, integer: true },
  { path: 'codec.topkFraction', base: demo, min: 0.0001, max: 1 },
  { path: 'evalExamples', base: demo, min: 1, max: 10_000, integer: true },
  { path: 'modelSeed', base: demo, min: 0, max: 4_294_967_295, integer: true },
  { path: 'maxExamplesPerDevice', base: demo, min: 1, max: 100_000_000, integer: true },
  { path: 'training.epochs', base: demo, min: 1, max: 100, integer: true },
  { path: 'training.batchSize', base: demo, min: 1, max: 4_096, integer: true },
  { path: 'training.learningRate', base: demo, min: 0.000001, max: 10 },
  { path: 'dataset.examplesPerDevice', base: demo, min: 10, max: 60_000, integer: true },
  { path: 'dataset.numDevices', base: demo, min: 1, max: 60_000, integer: true },
  { path: 'dataset.seed', base: demo, min: 0, max: 4_294_967_295, integer: true },
  { path: 'dataset.alpha', base: demo, min: 0.01, max: 1_000 },
  { path: 'dataset.testFraction', base: device, min: 0, max: 0.9 },
  { path: 'dataset.schema.width', base: device, min: 1, max: 512, integer: true },
  { path: 'dataset.schema.height', base: device, min: 1, max: 512, integer: true },
  { path: 'privacy.clipNorm', base: demo, min: 0, max: 1e6, exclusiveMin: true },
  { path: 'privacy.noiseMultiplier', base: demo, min: 0, max: 1_000 },
  { path: 'privacy.delta', base: demo, min: 0, max: 0.1, exclusiveMin: true },
  { path: 'privacy.targetEpsilon', base: demo, min: 0, max: 1e6, exclusiveMin: true },
  ...strategyCatalog().flatMap((s) =>
    s.params.map((p) => ({
      path: `strategy.options.${p.key}`,
      base: { ...MINIMAL_CONFIG, strategy: { name: s.name, options: {} } },
      min: p.min,
      max: p.max,
      ...(p.integer ? { integer: true } : {}),
      ...(p.exclusiveMin ? { exclusiveMin: true } : {}),
    })),
  ),
];

function withValue(base: Config, path: string, value: unknown): Config {
  const config = structuredClone(base);
  const keys = path.split('.');
  let node = config;
  for (const key of keys.slice(0, -1)) node = node[key] as Config;
  node[keys.at(-1)!] = value;
  return config;
}

function below(r: Row): number {
  if (r.exclusiveMin) return r.min;
  if (r.integer) return r.min - 1;
  return r.min > 0 ? r.min / 10 : r.min - 0.1;
}
const above = (r: Row) => (r.integer ? r.max + 1 : r.max * 1.5);

/** The refusal of the field at `path`, or null when the config is accepted. */
function refusalOf(config: Config, path: string): string | null {
  const parsed = FederationConfig.safeParse(config);
  if (parsed.success) return null;
  // A union reports at its own path (clientsPerRound for clientsPerRound.fraction).
  const atPath = parsed.error.issues.filter((i) => path.startsWith(i.path.join('.')));
  return atPath.length === 0 ? `refused, but not at ${path}: ${parsed.error.message}` : atPath.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
}

describe('federation config bounds', () => {
  it.each(ROWS)('$path takes $min to $max and refuses past either end with a reason', (row) => {
    expect(refusalOf(withValue(row.base, row.path, row.max), row.path)).toBeNull();
    if (!row.exclusiveMin) expect(refusalOf(withValue(row.base, row.path, row.min), row.path)).toBeNull();
    const worded = new RegExp(`^${(row.refusedAt ?? row.path).replaceAll('.', '\\.')}: expected .*a (whole )?number (from|above) .+, got .+$`);
    for (const value of [below(row), above(row)]) expect(refusalOf(withValue(row.base, row.path, value), row.path), `${row.path} = ${value}`).toMatch(worded);
  });

  it('refuses a federation that waits for 1e15 devices, saying why', () => {
    expect(refusalOf({ ...MINIMAL_CONFIG, minDevices: 1e15 }, 'minDevices')).toMatch(
      /^minDevices: expected a whole number from 1 to 10,000 \(.+\), got 1,000,000,000,000,000$/,
    );
  });
});
