import { readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { seedFromText, uploadedTopologyFrom } from '@flock/fl-core';
import { DeviceCredentials, DeviceSession, type DeviceSessionView } from '@flock/fl-core/device';
import { DatasetConfig, deviceStateWords } from '@flock/fl-core';
import {
  chooseNodeBackend,
  describeLocalData,
  fetchWithin,
  InProcessTrainer,
  loadSiloData,
  NODE_BACKENDS,
  nodeAdapters,
  OwnData,
  reportingStalls,
  type NodeBackend,
} from '@flock/fl-core/node';
import { InvalidArgumentError, type Command } from 'commander';
import { networkFailure } from './coordinatorClient.ts';

interface ClientFlags {
  server: string;
  federation: string;
  data: string;
  deviceId?: string;
  backend?: NodeBackend;
  token?: string;
  credentialFile?: string;
}

/** Stable across restarts of the same silo (host and data path), so the coordinator knows it again. */
function defaultDeviceId(dataPath: string): string {
  return `silo-${seedFromText(`${hostname()}:${resolve(dataPath)}`)
    .toString(16)
    .padStart(8, '0')}`;
}

export function addClientCommand(program: Command): void {
  program
    .command('client')
    .description('join a federation as a device that trains on local data (a silo); reconnects on its own')
    .requiredOption('--server <url>', 'the coordinator, e.g. http://localhost:3000')
    .requiredOption('--federation <id>', 'the federation to join')
    .requiredOption('--data <path>', "a CSV file with the federation's columns (device-data federations); else an MNIST IDX directory or a 784-pixel CSV")
    .option('--device-id <id>', "this device's id (default: derived from the host name and the data path)")
    .option('--backend <name>', `force a backend: ${NODE_BACKENDS.join(', ')}`, (raw: string) => {
      if (!NODE_BACKENDS.includes(raw as NodeBackend)) throw new InvalidArgumentError(`expected one of ${NODE_BACKENDS.join(', ')}`);
      return raw as NodeBackend;
    })
    .option('--token <token>', 'the enrollment token of an enrollment-only federation (its join link carries it)')
    .option(
      '--credential-file <path>',
      'keep the device credential the coordinator binds this device id to here, so a restarted client is the same device (default: memory only)',
    )
    .action(async (flags: ClientFlags) => {
      const deviceId = flags.deviceId ?? defaultDeviceId(flags.data);
      const local = await loadSiloData(flags.data, await federationDataset(flags.server, flags.federation), deviceId);
      const data = new OwnData(local.train.data);
      const test = local.test?.data ?? null;
      const choice = await chooseNodeBackend(flags.backend, { verbose: program.opts<{ verbose?: boolean }>().verbose === true });
      log(`device ${deviceId}: ${describeLocalData(local)}; backend ${choice.backend} (${choice.reason})`);
      const trainer = new InProcessTrainer(
        (shardId) => data.get(shardId),
        () => test,
        uploadedTopologyFrom(flags.server),
      );
      const reported = reportingStalls(trainer, (r) =>
        log(
          `round ${r.round}: trained on ${r.examples.toLocaleString('en-US')} examples in ${r.seconds.toFixed(1)} s, longest event-loop stall ${Math.round(r.longestStallMs)} ms`,
        ),
      );
      const identity = {
        deviceId,
        federationId: flags.federation,
        backend: choice.backend,
        adapter: choice.adapter,
        platform: 'node' as const,
        dataSource: { kind: 'own' as const, numExamples: data.data.count },
      };
      let last = '';
      const credentials = await fileCredentials(flags.credentialFile, flags.token ?? null);
      const session = new DeviceSession(identity, nodeAdapters(flags.server, data, reported, credentials), (view) => {
        const line = describe(view);
        if (line !== last) log(line);
        last = line;
      });
      session.start();
      const stop = () => {
        session.close();
        trainer.dispose();
        process.exit(0);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}

/** The credential kept in `path` (read now, written when the coordinator binds one), or in memory without a path. */
async function fileCredentials(path: string | undefined, enrollmentToken: string | null): Promise<DeviceCredentials> {
  if (path === undefined) return new DeviceCredentials(null, enrollmentToken);
  let kept: string | null = null;
  try {
    kept = (await readFile(path, 'utf8')).trim() || null;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return new DeviceCredentials(kept, enrollmentToken, async (credential) => {
    if (credential === null) await rm(path, { force: true });
    else await writeFile(path, `${credential}\n`, { mode: 0o600 });
  });
}

const DATASET_RETRY_MS = 2_000;
const DATASET_ASK_MS = 10_000;

/**
 * What the federation trains on, so a CSV is checked against its schema before joining. A coordinator
 * not reachable yet is waited for (asked again every 2 s); null when it cannot say (an unknown
 * federation, whose hello will say so, or an older coordinator): the data is then read as MNIST-style.
 */
async function federationDataset(server: string, federationId: string): Promise<DatasetConfig | null> {
  for (let attempt = 1; ; attempt++) {
    let response: Response;
    try {
      response = await fetchWithin(new URL(`/api/federations/${encodeURIComponent(federationId)}/dataset`, server), DATASET_ASK_MS);
    } catch (err) {
      if (attempt === 1) log(`waiting for the coordinator at ${server} (${networkFailure(err)}); asking every ${DATASET_RETRY_MS / 1000} s until it answers`);
      await new Promise((resolve) => setTimeout(resolve, DATASET_RETRY_MS));
      continue;
    }
    if (!response.ok) return null;
    const parsed = DatasetConfig.safeParse(((await response.json()) as { dataset?: unknown }).dataset);
    return parsed.success ? parsed.data : null;
  }
}

function describe(v: DeviceSessionView): string {
  const federation = v.federation ? `, federation ${v.federation.status} round ${v.federation.round}` : '';
  const detail = v.detail ? `: ${v.detail}` : '';
  const round = v.state === 'training' || v.state === 'uploading' ? ` round ${v.round}` : '';
  return `${v.connection}, ${deviceStateWords(v.state).toLowerCase()}${round}${detail}${federation}, rounds done ${v.roundsDone}`;
}

function log(line: string): void {
  console.log(`${new Date().toISOString()} ${line}`);
}
