import { RoundRecord, type DeviceRoundBytes } from '@flock/fl-core';
import type { Contribution } from '../../rounds/engineEffects.ts';
import { LeaseLostError, type LeaseFence, type ModelRepository, type RoundRepository, type StoredModel, type StoredModelState } from '../store.ts';
import { bytesOf, bytesOfFloat64, float64Of, nullableNumber, toIso, type Row } from './rows.ts';
import type { SqlClient, SqlQueries } from './sqlClient.ts';
import { leaseHolds } from './sqlLeases.ts';
import { endSharedRound } from './sqlSharedRounds.ts';

/** Tables rounds and contributions, with the model each round produced (models). */
export class SqlRounds implements RoundRepository {
  constructor(private readonly db: SqlClient) {}

  async list(federationId: string): Promise<RoundRecord[]> {
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

  async save(federationId: string, record: RoundRecord, model: StoredModelState, contributions: Contribution[], fence?: LeaseFence): Promise<void> {
    const participants = [...new Set(contributions.map((c) => c.deviceId))];
    await this.db.transaction(async (tx) => {
      if (fence && !(await leaseHolds(tx, federationId, fence))) throw new LeaseLostError(federationId);
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
      if (fence) await endSharedRound(tx, federationId);
    });
  }

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

  async contributionBytes(federationId: string, round?: number): Promise<DeviceRoundBytes[]> {
    const { rows } = await this.db.query<Row>(
      `select aggregated_round, device_id, bytes_up, bytes_down, abandoned_bytes_up, abandoned_bytes_down from contributions
       where federation_id = $1 and bytes_up is not null and ($2::int is null or aggregated_round = $2)`,
      [federationId, round ?? null],
    );
    return rows.map(deviceBytesOf);
  }

  async contributionsSince(federationId: string, afterRound: number): Promise<Contribution[]> {
    const { rows } = await this.db.query<Row>('select device_id, trained_round from contributions where federation_id = $1 and aggregated_round > $2', [
      federationId,
      afterRound,
    ]);
    return rows.map((r) => ({ deviceId: String(r.device_id), round: Number(r.trained_round) }));
  }
}

export class SqlModels implements ModelRepository {
  constructor(private readonly db: SqlClient) {}

  async latest(federationId: string): Promise<StoredModel | null> {
    const { rows } = await this.db.query<Row>('select round, bytes, server_state from models where federation_id = $1 order by round desc limit 1', [
      federationId,
    ]);
    const row = rows[0];
    if (!row) return null;
    return { round: Number(row.round), bytes: bytesOf(row.bytes), serverState: row.server_state == null ? null : float64Of(bytesOf(row.server_state)) };
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

export async function insertModel(
  tx: SqlQueries,
  federationId: string,
  round: number,
  bytes: Uint8Array,
  serverState: Float64Array | null = null,
): Promise<void> {
  await tx.query(
    `insert into models (federation_id, round, bytes, server_state) values ($1, $2, $3, $4)
     on conflict (federation_id, round) do update set bytes = excluded.bytes, server_state = excluded.server_state`,
    [federationId, round, bytes, serverState && bytesOfFloat64(serverState)],
  );
}
