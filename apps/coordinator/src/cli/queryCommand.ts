import { QUERY_KINDS } from '@flock/fl-core/analytics';
import type { Command } from 'commander';
import { clientOf, withConnection, type ConnectionFlags } from './adminConnection.ts';

/** How often a submitted query's record is read until it is done or refused. */
const POLL_MS = 500;

export interface QueryFlags extends ConnectionFlags {
  federation: string;
  minDevices?: number;
  epsilon?: number;
  examplesPerDevice?: number;
  column?: string[];
  low?: number[];
  high?: number[];
  bins?: number[];
  edges?: number[];
  quantiles?: number[];
  values?: (string | number)[];
  k?: number;
  deadlineMs?: number;
  wait: boolean;
}

const collect =
  <T>(parse: (raw: string) => T) =>
  (raw: string, previous: T[] | undefined) => [...(previous ?? []), parse(raw)];
const numberList = (raw: string) => raw.split(',').map(toNumber);
const valueList = (raw: string) => raw.split(',').map((v) => (v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v.trim()));

function toNumber(raw: string): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n)) throw new Error(`"${raw}" is not a number`);
  return n;
}

/**
 * The REST body for `kind` from the flags; the coordinator checks it against the federation's data and says what is
 * wrong. Column stats take `--column` once per column, with its `--low`, `--high` (and `--bins`) in the same order.
 */
export function queryBody(kind: string, flags: QueryFlags): Record<string, unknown> {
  const privacy = {
    ...(flags.minDevices !== undefined && { minDevices: flags.minDevices }),
    ...(flags.epsilon !== undefined && { epsilon: flags.epsilon }),
    ...(flags.examplesPerDevice !== undefined && { examplesPerDevice: flags.examplesPerDevice }),
  };
  const body: Record<string, unknown> = {
    kind,
    ...(Object.keys(privacy).length > 0 && { privacy }),
    ...(flags.deadlineMs !== undefined && { deadlineMs: flags.deadlineMs }),
  };
  const columns = flags.column ?? [];
  switch (kind) {
    case 'column-stats':
      body.columns = columns.map((name, i) => {
        const [low, high, bins] = [flags.low?.[i], flags.high?.[i], flags.bins?.[i]];
        if (low === undefined || high === undefined)
          throw new Error(`column ${name} needs its --low and --high (give them after each --column, in the same order)`);
        return { name, low, high, ...(bins !== undefined && { bins }) };
      });
      break;
    case 'quantiles':
      Object.assign(body, { column: columns[0], edges: flags.edges, quantiles: flags.quantiles });
      break;
    case 'frequent-values':
      Object.assign(body, {
        ...(columns[0] !== undefined && { column: columns[0] }),
        ...(flags.values && { values: flags.values }),
        ...(flags.k !== undefined && { k: flags.k }),
      });
      break;
  }
  return body;
}

/**
 * `flockctl query KIND --federation ID ...`: asks a running coordinator a federated-analytics query, waits for it
 * (unless --no-wait) and prints its record as JSON; a refused query exits 1 with the reason.
 */
export function addQueryCommand(program: Command, print: (line: string) => void = (line) => console.log(line)): void {
  withConnection(
    program
      .command('query')
      .description("ask a federation's devices an aggregate question (README, Federated analytics); prints the query's record as JSON")
      .addArgument(program.createArgument('<kind>', 'what to ask').choices(QUERY_KINDS)),
  )
    .requiredOption('--federation <id>', 'the federation whose devices answer')
    .option('--min-devices <n>', 'the fewest devices whose answers are summed (default 5)', toNumber)
    .option('--epsilon <e>', 'add Laplace noise for differential privacy at this epsilon (needs --examples-per-device)', toNumber)
    .option('--examples-per-device <m>', 'the most examples one device counts (a random sample beyond)', toNumber)
    .option('--column <name>', 'a CSV column (column-stats: once per column, each with --low and --high)', collect(String))
    .option('--low <x>', 'column-stats: the lowest value expected in the column of the same position', collect(toNumber))
    .option('--high <x>', 'column-stats: the highest value expected', collect(toNumber))
    .option('--bins <n>', 'column-stats: equal ranges between low and high (default 10)', collect(toNumber))
    .option('--edges <list>', 'quantiles: bin edges, rising, e.g. 0,10,20,30', numberList)
    .option('--quantiles <list>', 'quantiles: fractions, e.g. 0.5,0.9', numberList)
    .option('--values <list>', 'frequent-values: the values to count (default: every class)', valueList)
    .option('--k <n>', 'frequent-values: the fewest devices holding a value for it to be reported (default 5)', toNumber)
    .option('--deadline-ms <ms>', 'how long the devices have to answer (default 30000; 180000 for confusion-matrix, whose devices run the model)', toNumber)
    .option('--no-wait', 'print the queued record and return at once')
    .action(async (kind: string, flags: QueryFlags) => {
      const client = clientOf(flags);
      let record = await client.submitQuery(flags.federation, queryBody(kind, flags));
      while (flags.wait && (record.status === 'queued' || record.status === 'running')) {
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        record = await client.query(flags.federation, record.id);
      }
      print(JSON.stringify(record, null, flags.json ? undefined : 2));
      if (record.status === 'refused') throw new Error(`query ${record.id} refused: ${record.reason ?? 'no reason given'}`);
    });
}
