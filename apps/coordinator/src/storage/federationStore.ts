import type { PGlite, Transaction } from '@electric-sql/pglite';
import {
  AdapterInfo,
  BackendName,
  DEFAULT_CODEC,
  FederationConfig,
  FederationStatus,
  LEGACY_CODEC,
  type DeviceRoundBytes,
  type EventLogEntry,
  RoundRecord,
} from '@flock/fl-core';
import type { Contribution } from '../rounds/engineEffects.ts';
import { EventLog, type EventLogOptions } from './eventLog.ts';
import { PgliteEventRows } from './pglite/pgliteEvents.ts';
import { nullableNumber, toIso, type Row } from './pglite/rows.ts';
import type { EventPage, EventPageQuery, EventQuery } from './store.ts';

export interface StoredFederation {
  config: FederationConfig;
  status: FederationStatus;
  /** Last completed round. */
  round: number;
}

export interface StoredDevice {
  deviceId: string;
  shardIndex: number;
  backend: BackendName | null;
  adapter: AdapterInfo | null;
  roundsContributed: number;
  examples: number;
  lastSeen: Date;
}

/** A round's model as stored: its weights file and the strategy's server state after that round. */
export interface StoredModelState {
  bytes: Uint8Array;
  serverState: Float64Array | null;
}

export interface StoredModel extends StoredModelState {
  round: number;
}

/** A config stored before codecs existed keeps float32: new defaults are for new federations only. */
export function withStoredCodec(stored: unknown): unknown {
  return typeof stored === 'object' && stored !== null && !('codec' in stored) ? { ...stored, codec: LEGACY_CODEC } : stored;
}

/** Typed access to the coordinator's tables; rows are re-validated on the way out. */
export class FederationStore {
  private readonly events: EventLog;

  constructor(
    private readonly db: PGlite,
    eventLog: EventLogOptions = {},
  ) {
    this.events = new EventLog(new PgliteEventRows(db), eventLog);
  }

  /** Writes what the event log still holds and stops its retention timer. */
  close(): Promise<void> {
    return this.events.close();
  }

  async listFederations(): Promise<StoredFederation[]> {
    const { rows } = await this.db.query<Row>('select config, status, round from federations order by created_at, id');
    return rows.map((r) => ({
      config: FederationConfig.parse(withStoredCodec(r.config)),
      status: FederationStatus.parse(r.status),
      round: Number(r.round),
    }));
  }

  /** The federation and its round-0 model appear together or not at all. */
  async createFederation(config: FederationConfig, initialModel: Uint8Array): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query('insert into federations (id, config, status, round) values ($1, $2, $3, 0)', [
        config.id,
        // The codec is stored explicitly, so that only configs from before codecs read as LEGACY_CODEC.
        JSON.stringify({ ...config, codec: config.codec ?? DEFAULT_CODEC }),
        'idle',
      ]);
      await insertModel(tx, config.id, 0, initialModel);
    });
  }

  async setStatus(federationId: string, status: FederationStatus): Promise<void> {
    await this.db.query('update federations set status = $2 where id = $1', [federationId, status]);
  }

  async latestModel(federationId: string): Promise<StoredModel | null> {
    const { rows } = await this.db.query<Row>('select round, bytes, server_state from models where federation_id = $1 order by round desc limit 1', [
      federationId,
    ]);
    const row = rows[0];
    if (!row) return null;
    const state = row.server_state as Uint8Array | null;
    return { round: Number(row.round), bytes: row.bytes as Uint8Array, serverState: state ? float64Of(state) : null };
  }

  async listRounds(federationId: string): Promise<RoundRecord[]> {
    const { rows } = await this.db.query<Row>('select * from rounds where federation_id = $1 order by round', [federationId]);
    return rows.map((r) => ({
      round: Number(r.round),
      participants: Number(r.participants),
      examples: Number(r.examples),
      accuracy: nullableNumber(r.accuracy),
      loss: nullableNumber(r.loss),
      trainLoss: nullableNumber(r.train_loss),
      trainAccuracy: nullableNumber(r.train_accuracy),
      durationMs: Number(r.duration_ms),
      bytesUp: Number(r.bytes_up),
      bytesDown: Number(r.bytes_down),
      ...(r.abandoned_bytes_up == null ? {} : { abandonedBytesUp: Number(r.abandoned_bytes_up) }),
      ...(r.abandoned_bytes_down == null ? {} : { abandonedBytesDown: Number(r.abandoned_bytes_down) }),
      rejected: Number(r.rejected),
      completedAt: toIso(r.completed_at),
      closedBy: r.closed_by == null ? null : RoundRecord.shape.closedBy.parse(r.closed_by),
      deadlineMs: nullableNumber(r.deadline_ms),
      extended: r.extended === true,
      meanStaleness: nullableNumber(r.mean_staleness),
      epsilon: nullableNumber(r.epsilon),
    }));
  }

  /**
   * The round's record, its model, the federation's round counter, the participants' contribution
   * counts and the (device, trained round) pairs it folded in commit together: a crash never leaves
   * a record without its model, and a retry after a restart is recognised as already counted.
   */
  async saveRound(federationId: string, record: RoundRecord, model: StoredModelState, contributions: Contribution[]): Promise<void> {
    const participants = [...new Set(contributions.map((c) => c.deviceId))];
    await this.db.transaction(async (tx) => {
      await tx.query(
        `insert into rounds (federation_id, round, participants, examples, accuracy, loss, train_loss, duration_ms,
           bytes_up, bytes_down, rejected, completed_at, closed_by, deadline_ms, extended, mean_staleness, epsilon, train_accuracy,
           abandoned_bytes_up, abandoned_bytes_down)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)`,
        [
          federationId,
          record.round,
          record.participants,
          record.examples,
          record.accuracy,
          record.loss,
          record.trainLoss,
          record.durationMs,
          record.bytesUp,
          record.bytesDown,
          record.rejected,
          record.completedAt,
          record.closedBy,
          record.deadlineMs,
          record.extended,
          record.meanStaleness,
          record.epsilon ?? null,
          record.trainAccuracy,
          record.abandonedBytesUp ?? null,
          record.abandonedBytesDown ?? null,
        ],
      );
      await insertModel(tx, federationId, record.round, model.bytes, model.serverState);
      await tx.query('update federations set round = $2 where id = $1', [federationId, record.round]);
      await tx.query('update devices set rounds_contributed = rounds_contributed + 1 where federation_id = $1 and device_id = any($2::text[])', [
        federationId,
        participants,
      ]);
      await tx.query(
        `insert into contributions (federation_id, device_id, trained_round, aggregated_round, bytes_up, bytes_down, abandoned_bytes_up, abandoned_bytes_down)
         select $1, d, r, $4, u, w, au, aw from unnest($2::text[], $3::int[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[]) as c(d, r, u, w, au, aw)`,
        [
          federationId,
          contributions.map((c) => c.deviceId),
          contributions.map((c) => c.round),
          record.round,
          contributions.map((c) => c.bytesUp ?? null),
          contributions.map((c) => c.bytesDown ?? null),
          contributions.map((c) => c.abandonedBytesUp ?? null),
          contributions.map((c) => c.abandonedBytesDown ?? null),
        ],
      );
    });
  }

  /** Per device and round, the bytes of each update folded in and of the model it was sent, newest rounds first. */
  async deviceBytes(federationId: string, rounds: number): Promise<DeviceRoundBytes[]> {
    const { rows } = await this.db.query<Row>(
      `select aggregated_round, device_id, bytes_up, bytes_down, abandoned_bytes_up, abandoned_bytes_down from contributions
       where federation_id = $1 and bytes_up is not null
         and aggregated_round > (select coalesce(max(aggregated_round), 0) from contributions where federation_id = $1) - $2
       order by aggregated_round desc, device_id`,
      [federationId, rounds],
    );
    return rows.map(deviceBytesOf);
  }

  /** Every update's bytes (up, and the model down) per device and the round it was folded into; `round` narrows to one round. */
  async contributionBytes(federationId: string, round?: number): Promise<DeviceRoundBytes[]> {
    const { rows } = await this.db.query<Row>(
      `select aggregated_round, device_id, bytes_up, bytes_down, abandoned_bytes_up, abandoned_bytes_down from contributions
       where federation_id = $1 and bytes_up is not null and ($2::int is null or aggregated_round = $2)`,
      [federationId, round ?? null],
    );
    return rows.map(deviceBytesOf);
  }

  /** Updates folded into rounds after `afterRound`: what the engine must not count again. */
  async contributionsSince(federationId: string, afterRound: number): Promise<Contribution[]> {
    const { rows } = await this.db.query<Row>('select device_id, trained_round from contributions where federation_id = $1 and aggregated_round > $2', [
      federationId,
      afterRound,
    ]);
    return rows.map((r) => ({ deviceId: String(r.device_id), round: Number(r.trained_round) }));
  }

  async listDevices(federationId: string): Promise<StoredDevice[]> {
    const { rows } = await this.db.query<Row>('select * from devices where federation_id = $1 order by shard_index', [federationId]);
    return rows.map((r) => ({
      deviceId: String(r.device_id),
      shardIndex: Number(r.shard_index),
      backend: r.backend == null ? null : BackendName.parse(r.backend),
      adapter: r.adapter == null ? null : AdapterInfo.parse(r.adapter),
      roundsContributed: Number(r.rounds_contributed),
      examples: Number(r.examples),
      lastSeen: new Date(toIso(r.last_seen)),
    }));
  }

  async upsertDevice(federationId: string, d: StoredDevice): Promise<void> {
    await this.db.query(
      `insert into devices (federation_id, device_id, shard_index, backend, adapter, rounds_contributed, examples, last_seen)
       values ($1, $2, $3, $4, $5, $6, $7, $8)
       on conflict (federation_id, device_id) do update
         set backend = excluded.backend, adapter = excluded.adapter, last_seen = excluded.last_seen`,
      [
        federationId,
        d.deviceId,
        d.shardIndex,
        d.backend,
        d.adapter == null ? null : JSON.stringify(d.adapter),
        d.roundsContributed,
        d.examples,
        d.lastSeen.toISOString(),
      ],
    );
  }

  /** Logs `e` (written in the background) and returns it as the log shows it, repeats counted. */
  appendEvent(e: EventLogEntry): EventLogEntry {
    return this.events.append(e);
  }

  /** Resolves once every event appended so far is in the database. */
  eventsWritten(): Promise<void> {
    return this.events.written();
  }

  /** Applies the event log's retention limits now (they also apply every few minutes); returns the rows deleted. */
  pruneEvents(): Promise<number> {
    return this.events.prune();
  }

  eventsPage(federationId: string, page: EventPageQuery): Promise<EventPage> {
    return this.events.page(federationId, page);
  }

  listEvents(federationId: string, limit = 500, filter: EventQuery = {}): Promise<EventLogEntry[]> {
    return this.events.recent(federationId, limit, filter);
  }
}

function deviceBytesOf(r: Row): DeviceRoundBytes {
  return {
    round: Number(r.aggregated_round),
    deviceId: String(r.device_id),
    bytesUp: Number(r.bytes_up),
    bytesDown: r.bytes_down == null ? null : Number(r.bytes_down),
    ...(r.abandoned_bytes_up == null ? {} : { abandonedBytesUp: Number(r.abandoned_bytes_up) }),
    ...(r.abandoned_bytes_down == null ? {} : { abandonedBytesDown: Number(r.abandoned_bytes_down) }),
  };
}

async function insertModel(tx: Transaction, federationId: string, round: number, bytes: Uint8Array, serverState: Float64Array | null = null): Promise<void> {
  await tx.query(
    `insert into models (federation_id, round, bytes, server_state) values ($1, $2, $3, $4)
     on conflict (federation_id, round) do update set bytes = excluded.bytes, server_state = excluded.server_state`,
    [federationId, round, bytes, serverState && new Uint8Array(serverState.buffer, serverState.byteOffset, serverState.byteLength)],
  );
}

/** bytea comes back as a Uint8Array that may not sit on an 8-byte boundary: copy before viewing as float64. */
function float64Of(bytes: Uint8Array): Float64Array {
  return new Float64Array(bytes.slice().buffer);
}
