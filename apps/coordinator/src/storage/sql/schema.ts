import type { SqlClient } from './sqlClient.ts';

/** Any fixed number: the advisory lock that keeps two coordinators from migrating one database at once. */
const MIGRATION_LOCK = 4_711_018;

/** Every change is `if not exists`: running it again on a database of any earlier version brings it up to date. */
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
-- Every JWT the coordinator signed (sql/sqlTokens.ts); at most one live device credential per device id.
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
-- Federated evaluation (sql/sqlEvaluations.ts): each device's score of the global model it received for a round.
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
-- A repeated event is one row (storage/eventLog.ts, sql/sqlEvents.ts): at is its latest occurrence, first_at its first.
alter table events add column if not exists count integer not null default 1;
alter table events add column if not exists first_at timestamptz;
-- Traffic of called-off attempts at a round (paused, too few answers), kept apart from the attempt that closed it.
alter table rounds add column if not exists abandoned_bytes_up bigint;
alter table rounds add column if not exists abandoned_bytes_down bigint;
alter table contributions add column if not exists abandoned_bytes_up bigint;
alter table contributions add column if not exists abandoned_bytes_down bigint;
-- The coordinators sharing this database (sql/sqlCoordinators.ts): each one's latest heartbeat, by the server's clock.
create table if not exists coordinators (
  id text primary key,
  url text not null,
  started_at timestamptz not null,
  last_seen timestamptz not null,
  devices integer not null
);
-- The key every token is signed with where coordinators share this database (sql/sqlSigningKey.ts): one row.
-- A coordinator on its embedded database keeps its key in the data dir (jwt-key) instead, with its backups.
create table if not exists signing_key (
  one boolean primary key default true check (one),
  key bytea not null,
  created_at timestamptz not null default now()
);
-- Which coordinator runs each federation's rounds (several coordinators sharing one database).
create table if not exists federation_leases (
  federation_id text primary key,
  holder text not null,
  epoch bigint not null,
  expires_at timestamptz not null
);
-- The round each federation's owner opened, shared by the coordinators serving it (sql/sqlSharedRounds.ts):
-- one receipt per (device, round), and each coordinator's partial aggregate (weighted sum as float64, back to back).
create table if not exists shared_rounds (
  federation_id text primary key,
  round integer not null,
  attempt text not null,
  selected jsonb not null,
  deadline double precision not null,
  started_at double precision not null,
  -- The owner read the partials to close the round: a fold after that is too late.
  sealed boolean not null default false
);
create table if not exists update_receipts (
  federation_id text not null,
  round integer not null,
  device_id text not null,
  attempt text not null,
  coordinator_id text not null,
  examples integer not null,
  loss double precision not null,
  accuracy double precision not null,
  bytes_up bigint not null,
  primary key (federation_id, round, device_id)
);
create table if not exists round_partials (
  federation_id text not null,
  attempt text not null,
  coordinator_id text not null,
  weighted_sum bytea not null,
  total_weight double precision not null,
  updates integer not null,
  primary key (federation_id, attempt, coordinator_id)
);
-- What kind of client a device is (tab, node, python), as its hello said; null for devices from before.
alter table devices add column if not exists platform text;
-- Analytics queries that finished (done or refused), and the ε each done one spent: the federations' query privacy
-- ledger, charged against their privacy targets with training's (sql/sqlAnalyticsQueries.ts). number: the id's (q12: 12).
create table if not exists analytics_queries (
  federation_id text not null,
  id text not null,
  number integer not null,
  status text not null,
  query jsonb not null,
  what_leaves text not null,
  submitted_at timestamptz not null,
  started_at timestamptz,
  finished_at timestamptz not null,
  asked integer not null,
  answered integer not null,
  result jsonb,
  reason text,
  epsilon double precision,
  primary key (federation_id, id)
);
-- A query is stored from its submission on, so its number is never reused after a restart: unfinished, it has no finished_at.
alter table analytics_queries alter column finished_at drop not null;
-- Several coordinators: each one's traffic of a shared round's attempt (the models it sent, and what attempts called off
-- before moved), and each receipt's device traffic, so the owner's round record counts the models every coordinator sent.
alter table update_receipts add column if not exists bytes_down bigint not null default 0;
alter table update_receipts add column if not exists abandoned_bytes_up bigint not null default 0;
alter table update_receipts add column if not exists abandoned_bytes_down bigint not null default 0;
create table if not exists round_traffic (
  federation_id text not null,
  attempt text not null,
  coordinator_id text not null,
  bytes_down bigint not null,
  abandoned_bytes_up bigint not null,
  abandoned_bytes_down bigint not null,
  primary key (federation_id, attempt, coordinator_id)
);
`;

/**
 * Brings the database to the current schema, on PGlite and on PostgreSQL alike. Coordinators starting
 * together on one server take turns under an advisory lock (concurrent `create table if not exists`
 * can fail on PostgreSQL's catalogs); the lock goes with the transaction.
 */
export async function migrate(db: SqlClient): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await tx.exec(SCHEMA);
  });
}
