import type { DeviceEvaluation, LocalEvaluation } from '@flock/fl-core';
import type { EvaluationRepository } from '../store.ts';
import type { SqlClient } from './sqlClient.ts';

interface EvaluationRow {
  device_id: string;
  round: number;
  accuracy: number;
  loss: number;
  examples: number;
  reported_at: Date;
}

/** The device_evaluations table. */
export class SqlEvaluations implements EvaluationRepository {
  constructor(private readonly db: SqlClient) {}

  async save(federationId: string, deviceId: string, round: number, e: LocalEvaluation): Promise<void> {
    await this.db.query(
      `insert into device_evaluations (federation_id, device_id, round, accuracy, loss, examples, reported_at)
       values ($1, $2, $3, $4, $5, $6, now())
       on conflict (federation_id, device_id, round)
       do update set accuracy = excluded.accuracy, loss = excluded.loss, examples = excluded.examples, reported_at = excluded.reported_at`,
      [federationId, deviceId, round, e.accuracy, e.loss, e.examples],
    );
  }

  async list(federationId: string): Promise<DeviceEvaluation[]> {
    const { rows } = await this.db.query<EvaluationRow>(
      `select device_id, round, accuracy, loss, examples, reported_at from device_evaluations
       where federation_id = $1 order by round, device_id`,
      [federationId],
    );
    return rows.map((r) => ({
      deviceId: r.device_id,
      round: r.round,
      accuracy: r.accuracy,
      loss: r.loss,
      examples: r.examples,
      reportedAt: r.reported_at.toISOString(),
    }));
  }
}
