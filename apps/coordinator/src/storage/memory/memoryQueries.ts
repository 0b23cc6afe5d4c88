import type { QueryRecord } from '../../analytics/queryRecord.ts';
import { chargedEpsilon, queryNumber, type QueryRepository } from '../store.ts';

/** Analytics queries in this process, held as copies (a JSON round trip, as the database's jsonb columns make them). */
export class MemoryQueries implements QueryRepository {
  private readonly byKey = new Map<string, QueryRecord>();

  async save(record: QueryRecord): Promise<void> {
    this.byKey.set(JSON.stringify([record.federationId, record.id]), copy(record));
  }

  async find(federationId: string, queryId: string): Promise<QueryRecord | null> {
    const record = this.byKey.get(JSON.stringify([federationId, queryId]));
    return record ? copy(record) : null;
  }

  async list(federationId: string, limit: number): Promise<QueryRecord[]> {
    return [...this.byKey.values()]
      .filter((r) => r.federationId === federationId)
      .sort((a, b) => queryNumber(b.id) - queryNumber(a.id))
      .slice(0, limit)
      .map(copy);
  }

  async epsilonSpent(): Promise<Map<string, number>> {
    const spent = new Map<string, number>();
    for (const r of this.byKey.values()) {
      const epsilon = chargedEpsilon(r);
      if (epsilon !== null) spent.set(r.federationId, (spent.get(r.federationId) ?? 0) + epsilon);
    }
    return spent;
  }

  async lastNumber(): Promise<number> {
    return Math.max(0, ...[...this.byKey.values()].map((r) => queryNumber(r.id)));
  }
}

function copy(record: QueryRecord): QueryRecord {
  return JSON.parse(JSON.stringify(record)) as QueryRecord;
}
