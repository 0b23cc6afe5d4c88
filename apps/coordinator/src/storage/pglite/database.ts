import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PGlite } from '@electric-sql/pglite';

const execFileAsync = promisify(execFile);

/**
 * PostgreSQL's default 128 MB of shared buffers sits in PGlite's wasm memory whether used or not; one
 * coordinator's tables are small and its files are in the OS's page cache anyway (idle RSS -110 MB,
 * `npm run bench -- startup`). A deployment that outgrows this moves to PostgreSQL.
 */
const SHARED_BUFFERS = '16MB';

/** Plain PostgreSQL: the same statements run on a hosted Postgres once PGlite is outgrown. */
const SCHEMA = `
create table if not exists federations (
  id text primary key,
  config jsonb not null,
  status text not null,
  round integer not null default 0,
  created_at timestamptz not null default now()
);
create table if not exists rounds (
  federation_id text not null references federations(id),
  round integer not null,
  participants integer not null,
  examples integer not null,
  accuracy double precision,
  loss double precision,
  train_loss double precision,
  duration_ms double precision not null,
  bytes_up bigint not null,
  bytes_down bigint not null,
  rejected integer not null,
  completed_at timestamptz not null,
  primary key (federation_id, round)
);
create table if not exists devices (
  federation_id text not null references federations(id),
  device_id text not null,
  shard_index integer not null,
  backend text,
  adapter jsonb,
  rounds_contributed integer not null default 0,
  examples integer not null,
  last_seen timestamptz not null,
  primary key (federation_id, device_id),
  unique (federation_id, shard_index)
);
create table if not exists models (
  federation_id text not null references federations(id),
  round integer not null,
  bytes bytea not null,
  created_at timestamptz not null default now(),
  primary key (federation_id, round)
);
create table if not exists events (
  id bigserial primary key,
  at timestamptz not null,
  federation_id text,
  level text not null,
  kind text not null,
  message text not null,
  device_id text
);
create index if not exists events_by_federation on events (federation_id, id);
alter table federations add column if not exists archived_at timestamptz;
create table if not exists uploaded_models (
  id text primary key,
  name text not null,
  model_json jsonb not null,
  weights bytea not null,
  input_shape jsonb not null,
  num_classes integer not null,
  parameters integer not null,
  created_at timestamptz not null default now()
);
alter table rounds add column if not exists closed_by text;
alter table rounds add column if not exists deadline_ms double precision;
alter table rounds add column if not exists extended boolean not null default false;
alter table rounds add column if not exists mean_staleness double precision;
alter table rounds add column if not exists epsilon double precision;
alter table rounds add column if not exists train_accuracy double precision;
-- A stateful strategy's server state (FedAdam's moments, FedAvgM's velocity) after the model's round: float64, back to back.
alter table models add column if not exists server_state bytea;
-- Every JWT the coordinator signed (pglite/pgliteTokens.ts); at most one live device credential per device id.
create table if not exists auth_tokens (
  jti text primary key,
  kind text not null,
  role text not null,
  federation_id text,
  device_id text,
  label text,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  revoked_at timestamptz
);
create unique index if not exists auth_tokens_one_device_credential on auth_tokens (federation_id, device_id)
  where kind = 'device' and revoked_at is null;
create table if not exists contributions (
  federation_id text not null references federations(id),
  device_id text not null,
  trained_round integer not null,
  aggregated_round integer not null,
  primary key (federation_id, device_id, trained_round)
);
alter table contributions add column if not exists bytes_up bigint;
alter table contributions add column if not exists bytes_down bigint;
-- Federated evaluation (pglite/pgliteEvaluations.ts): each device's score of the global model it received for a round.
create table if not exists device_evaluations (
  federation_id text not null references federations(id),
  device_id text not null,
  round integer not null,
  accuracy double precision not null,
  loss double precision not null,
  examples integer not null,
  reported_at timestamptz not null,
  primary key (federation_id, device_id, round)
);
-- A repeated event is one row (storage/eventLog.ts, pglite/pgliteEvents.ts): at is its latest occurrence, first_at its first.
alter table events add column if not exists count integer not null default 1;
alter table events add column if not exists first_at timestamptz;
-- Traffic of called-off attempts at a round (paused, too few answers), kept apart from the attempt that closed it.
alter table rounds add column if not exists abandoned_bytes_up bigint;
alter table rounds add column if not exists abandoned_bytes_down bigint;
alter table contributions add column if not exists abandoned_bytes_up bigint;
alter table contributions add column if not exists abandoned_bytes_down bigint;
`;

export async function openDatabase(dataDir: string): Promise<PGlite> {
  await mkdir(dataDir, { recursive: true });
  const path = join(dataDir, 'pg');
  if (!existsSync(path)) await createCluster(path);
  let db: PGlite;
  try {
    db = await PGlite.create(path, { startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${SHARED_BUFFERS}`] });
  } catch (err) {
    throw new DatabaseOpenError(dataDir, path, err);
  }
  await db.exec(SCHEMA);
  return db;
}

/**
 * initdb in a short-lived child process. The instance that creates a cluster holds initdb's wasm memory
 * (~400 MB), and even once closed it is only given back by a garbage collection that an idle coordinator
 * may never run; a process that exits gives it all back (first-start idle RSS, `npm run bench -- startup`).
 */
async function createCluster(path: string): Promise<void> {
  const script = `const { PGlite } = await import('@electric-sql/pglite'); await (await PGlite.create(${JSON.stringify(path)})).close();`;
  // The child resolves PGlite from this file's folder, as this module does.
  await execFileAsync(process.execPath, ['--input-type=module', '-e', script], { cwd: dirname(fileURLToPath(import.meta.url)) });
}

/** PGlite only says `Aborted()` about a damaged cluster: this names the folder and the ways out. */
export class DatabaseOpenError extends Error {
  constructor(dataDir: string, path: string, cause: unknown) {
    super(
      `the database in ${path} could not be opened; it may be damaged. ` +
        `Restore a backup with \`flockctl restore --data-dir ${dataDir} BACKUP_FILE\` (after moving ${path} away), or move ${path} away to start with an empty database ` +
        `(PGlite said: ${cause instanceof Error ? cause.message : String(cause)})`,
      { cause },
    );
    this.name = 'DatabaseOpenError';
  }
}
