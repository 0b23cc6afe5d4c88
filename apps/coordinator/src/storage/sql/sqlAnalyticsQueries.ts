import type { QueryRecord } from '../../analytics/queryRecord.ts';
import { chargedEpsilon, queryNumber, type QueryRepository } from '../store.ts';
import { toIso } from './rows.ts';
import type { SqlClient } from './sqlClient.ts';

interface QueryRow {
  federation_id: string;
  id: string;
  status: QueryRecord['status'];
  query: QueryRecord['query'];
  what_leaves: string;
  submitted_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  asked: number;
  answered: number;
  result: QueryRecord['result'];
  reason: string | null;
}

const COLUMNS = 'federation_id, id, status, query, what_leaves, submitted_at, started_at, finished_at, asked, answered, result, reason';

/** The analytics_queries table: queries from their submission on, and the ε the done ones charged. */
export class SqlAnalyticsQueries implements QueryRepository {
  constructor(private readonly db: SqlClient) {}

  async save(r: QueryRecord): Promise<void> {
    await this.db.query(
      `insert into analytics_queries (${COLUMNS}, number, epsilon)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
       on conflict (federation_id, id) do update set
         status = excluded.status, query = excluded.query, what_leaves = excluded.what_leaves, submitted_at = excluded.submitted_at,
         started_at = excluded.started_at, finished_at = excluded.finished_at, asked = excluded.asked, answered = excluded.answered,
         result = excluded.result, reason = excluded.reason, number = excluded.number, epsilon = excluded.epsilon`,
      [
        r.federationId,
        r.id,
        r.status,
        JSON.stringify(r.query),
        r.whatLeaves,
        r.submittedAt,
        r.startedAt,
        r.finishedAt,
        r.asked,
        r.answered,
        r.result === null ? null : JSON.stringify(r.result),
        r.reason,
        queryNumber(r.id),
        chargedEpsilon(r),
      ],
    );
  }

  async find(federationId: string, queryId: string): Promise<QueryRecord | null> {
    const { rows } = await this.db.query<QueryRow>(`select ${COLUMNS} from analytics_queries where federation_id = $1 and id = $2`, [federationId, queryId]);
    return rows[0] ? recordOf(rows[0]) : null;
  }

  async list(federationId: string, limit: number): Promise<QueryRecord[]> {
    const { rows } = await this.db.query<QueryRow>(`select ${COLUMNS} from analytics_queries where federation_id = $1 order by number desc limit $2`, [
      federationId,
      limit,
    ]);
    return rows.map(recordOf);
  }

  async epsilonSpent(): Promise<Map<string, number>> {
    const { rows } = await this.db.query<{ federation_id: string; epsilon: number }>(
      'select federation_id, sum(epsilon) as epsilon from analytics_queries where epsilon is not null group by federation_id',
    );
    return new Map(rows.map((r) => [r.federation_id, Number(r.epsilon)]));
  }

  async lastNumber(): Promise<number> {
    const { rows } = await this.db.query<{ number: number | null }>('select max(number) as number from analytics_queries');
    return rows[0]?.number ?? 0;
  }
}

function recordOf(r: QueryRow): QueryRecord {
  return {
    id: r.id,
    federationId: r.federation_id,
    query: r.query,
    status: r.status,
    whatLeaves: r.what_leaves,
    submittedAt: toIso(r.submitted_at),
    startedAt: r.started_at === null ? null : toIso(r.started_at),
    finishedAt: r.finished_at === null ? null : toIso(r.finished_at),
    asked: r.asked,
    answered: r.answered,
    result: r.result,
    reason: r.reason,
  };
}
